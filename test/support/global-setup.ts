import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDatabase } from '../../src/database/embedded-database';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * With DATABASE_URL set, the suite runs against that server. Without it, a throwaway embedded
 * PostgreSQL is started for the run. Either way each test file creates its own database in it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const parent = mkdtempSync(join(tmpdir(), 'tally-test-'));
  // As root the server runs as a 'postgres' system user, which must be able to enter the folder.
  chmodSync(parent, 0o755);
  const dir = join(parent, 'pgdata');
  const server = new EmbeddedDatabase(dir, await freePort(), false);
  process.env.DATABASE_URL = await server.start();
  (globalThis as any).__tallyEmbedded = server;
}
