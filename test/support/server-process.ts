import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/database/embedded/embedded-database';
import { Answer, postJson, send } from './http';
import { until } from './until';

export { freePort };

/**
 * The built server (`node dist/src/main.js`) as a real child process, for the tests where a
 * signal is involved: SIGTERM must flush, SIGKILL must lose nothing. `npm test` builds first;
 * while developing run `npx nest build`.
 */
const ROOT = resolve(__dirname, '..', '..');
// TALLY_SERVER_MAIN points the tests at another build (e.g. a deliberately broken copy, to see them fail).
const MAIN = process.env.TALLY_SERVER_MAIN ? resolve(process.env.TALLY_SERVER_MAIN) : join(ROOT, 'dist', 'src', 'main.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  baseUrl: string;
  port: number;
  pid: number;
  databaseUrl: string;
  /** Whether the process has exited (by itself or by a signal). */
  readonly exited: boolean;
  kill(signal?: NodeJS.Signals): void;
  /** Settles when the process has exited; rejects after `timeoutMs` if it has not. */
  waitForExit(timeoutMs?: number): Promise<Exit>;
  /** SIGTERM, then waits for a clean exit; fails (and SIGKILLs) if it does not exit 0 in time. */
  stop(timeoutMs?: number): Promise<Exit>;
  /** The last part of what the process wrote to stdout and stderr, for failure messages. */
  output(): string;
}

export interface StartOptions {
  /** '' : no DATABASE_URL, the server starts its embedded PostgreSQL (EMBEDDED_PG_DIR, EMBEDDED_PG_PORT in env). */
  databaseUrl: string;
  /** Another build's main.js (a copy of the project elsewhere); the default is this checkout's. */
  main?: string;
  /** The working folder (a relative EMBEDDED_PG_DIR is resolved from it); this checkout by default. */
  cwd?: string;
  /** Extra environment (USAGE_FLUSH_INTERVAL_MS, …); values override the defaults below. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();

// A crashed or interrupted jest run must not leave servers behind holding test databases.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns the server and resolves once it answers HTTP (GET of an unknown feature → 404). */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const main = options.main ?? MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx nest build\` first (npm test does)`);
  // A port found free may be taken before the child binds it: try again with another one.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await spawnOnce(options, await freePort());
    } catch (error) {
      lastError = error as Error;
      if (!/EADDRINUSE/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError!;
}

async function spawnOnce(options: StartOptions, port: number): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    DB_POOL_SIZE: '10',
    USAGE_FLUSH_INTERVAL_MS: '1000',
    BILLING_ROLLUP_CRON: 'off',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const main = options.main ?? MAIN;
  const child = spawn(process.execPath, [main], { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);

  let log = '';
  const keep = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    // The last part only, from a line's start: the tests parse it line by line.
    if (log.length > 200_000) log = log.slice(log.indexOf('\n', log.length - 100_000) + 1);
  };
  // Always drained, or a chatty child would block on a full pipe.
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      running.delete(child);
      resolveExit(exit);
    });
  });

  const baseUrl = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    baseUrl,
    port,
    pid: child.pid!,
    databaseUrl: options.databaseUrl,
    get exited() {
      return exit !== undefined;
    },
    kill: (signal = 'SIGTERM') => {
      if (exit === undefined) child.kill(signal);
    },
    waitForExit: async (timeoutMs = 20_000) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms\n${log}`)),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    stop: async (timeoutMs = 20_000) => {
      server.kill('SIGTERM');
      try {
        const result = await server.waitForExit(timeoutMs);
        if (result.code !== 0) throw new Error(`pid ${child.pid} exited ${JSON.stringify(result)}\n${log}`);
        return result;
      } catch (error) {
        server.kill('SIGKILL');
        throw error;
      }
    },
    output: () => log,
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exit) throw new Error(`server exited before it was ready ${JSON.stringify(exit)}\n${log}`);
    // No answer (status 0) while it is not listening yet.
    if ((await send(baseUrl, 'GET', '/v1/features/no-such-feature', undefined, { timeoutMs: 2000 })).status === 404) return server;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within ${options.readyTimeoutMs ?? 30_000} ms\n${log}`);
    }
    await sleep(50);
  }
}

/** SIGKILLs every server still running (for afterAll) and waits until they are gone. */
export async function killLeftovers(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// A steady stream of events from concurrent clients, to signal a process in the middle of it.

export interface Sent<T = unknown> {
  seq: number;
  request: T;
  target: ServerProcess;
  outcome: Answer;
}

export interface Stream<T> {
  sent: Sent<T>[];
  /** Answers with this status so far. */
  count(status: number): number;
  /** Resolves once `predicate` holds over what was sent (polled), or rejects after `timeoutMs`. */
  until(predicate: (sent: Sent<T>[]) => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<Sent<T>[]>;
}

/**
 * `clients` loops, each sending one request after another: request `seq` is `make(seq)`, sent
 * to `targets()[seq % length]`. A client that gets no answer pauses briefly, so a dead target
 * is not hammered.
 */
export function stream<T>(
  clients: number,
  targets: () => ServerProcess[],
  make: (seq: number) => T,
  path = '/v1/usage',
): Stream<T> {
  const sent: Sent<T>[] = [];
  let next = 0;
  let stopped = false;
  const client = async () => {
    while (!stopped) {
      const seq = next++;
      const list = targets();
      const target = list[seq % list.length];
      const request = make(seq);
      const outcome = await postJson(target.baseUrl, path, request);
      sent.push({ seq, request, target, outcome });
      if (outcome.status === 0) await sleep(20);
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    sent,
    count: (status) => sent.filter((s) => s.outcome.status === status).length,
    until: (predicate, timeoutMs = 20_000) => until(() => predicate(sent), 'the stream condition', { timeoutMs }),
    stop: async () => {
      stopped = true;
      await running;
      return sent;
    },
  };
}
