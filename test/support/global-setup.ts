import { EmbeddedDatabase } from '../../src/database/embedded/embedded-database';

/**
 * With DATABASE_URL set, the suite runs against that server. Without it, a throwaway embedded
 * PostgreSQL is started for the run. Either way each test file creates its own database in it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const server = await EmbeddedDatabase.throwaway('tally-test-');
  process.env.DATABASE_URL = server.url;
  (globalThis as any).__tallyEmbedded = server;
  // Interrupted (Ctrl-C, a CI timeout), jest ends without its teardown: remove the server here.
  // A run killed outright leaves its folder to the next run's throwaway(), which removes it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void server.stop().finally(() => process.exit(130));
    });
  }
}
