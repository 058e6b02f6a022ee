import { EmbeddedDatabase } from '../../src/database/embedded/embedded-database';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as any).__tallyEmbedded as EmbeddedDatabase | undefined;
  await server?.stop();
}
