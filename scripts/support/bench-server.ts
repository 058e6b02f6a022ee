import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedDatabase, freePort } from '../../src/database/embedded/embedded-database';
import { createScratchDatabase } from '../../src/database/scratch-database';
import type { LoadOptions, LoadResult } from './load-generator';

/**
 * A fresh database for a benchmark: on DATABASE_URL's server when set, else on an embedded
 * PostgreSQL started for the run. `stop()` drops it (and stops the embedded server).
 */
export async function benchDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  const embedded = process.env.DATABASE_URL ? undefined : await EmbeddedDatabase.throwaway('tally-bench-');
  const db = await createScratchDatabase(process.env.DATABASE_URL ?? embedded!.url, 'tally_bench');
  return {
    url: db.url,
    stop: async () => {
      await db.drop();
      await embedded?.stop();
    },
  };
}

/** The built server (dist/src/main.js) in a child process, as it runs in production. */
export async function startServer(databaseUrl: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', '..', 'src', 'main.js')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(`${baseUrl}/v1/features/-`, child);
  return { baseUrl, pid: child.pid!, stop: () => stopChild(child) };
}

/** Fastify alone with one trivial route (bare-fastify.ts) in a child process: the HTTP ceiling. */
export async function startBareFastify() {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, 'bare-fastify.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitUntilAnswering(url, child);
  return { url, stop: () => stopChild(child) };
}

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited with code ${child.exitCode}`);
    if (await fetch(url).then(() => true, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${url}: no answer after 20 s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * One cell of load from autocannon in a child process (load-generator.ts). `onStart` runs when
 * the generator is about to send its first request, for a reading at the start of the window.
 */
export async function load(options: LoadOptions, onStart?: () => Promise<void>): Promise<LoadResult> {
  const child = spawn(process.execPath, [join(__dirname, 'load-generator.js'), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let started: Promise<void> | undefined;
  child.on('message', () => (started ??= onStart?.()));
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  await started;
  if (code !== 0) throw new Error(`load generator exited with code ${code}`);
  return JSON.parse(stdout);
}

/**
 * Waits until the server has finished what the last cell left behind. When autocannon stops it
 * closes its sockets, but the requests it had in flight are still being worked on (a batch of
 * 1000 strict events for seconds), and they would eat into the next cell. Done when the count of
 * usage events the server has judged stops moving and no API request is open.
 */
export async function settle(baseUrl: string, timeoutMs = 120_000): Promise<void> {
  const reading = async () => {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    let events = 0;
    let inFlight = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('tally_usage_events_total{')) events += Number(line.slice(line.lastIndexOf(' ') + 1));
      if (line.startsWith('tally_http_requests_in_flight ')) inFlight = Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return { events, inFlight };
  };
  const until = Date.now() + timeoutMs;
  let last = await reading();
  let still = 0;
  while (still < 3 && Date.now() < until) {
    await sleep(250);
    const now = await reading();
    still = now.events === last.events && now.inFlight === 0 ? still + 1 : 0;
    last = now;
  }
}

export async function post(baseUrl: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A feature counted with `strategy`, on a plan with `limit`, and a subscription to it. */
export async function hotCounter(baseUrl: string, strategy: string, limit: number | null, tag: string) {
  const feature = `${strategy}-${tag}`;
  await post(baseUrl, '/v1/features', { key: feature, name: feature, strategy });
  await post(baseUrl, '/v1/plans', {
    key: `plan-${feature}`,
    name: feature,
    currency: 'USD',
    interval: 'month',
    charges: [{ feature, limit }],
  });
  await post(baseUrl, '/v1/customers', { externalId: `c-${feature}`, name: feature });
  const sub = await post(baseUrl, '/v1/subscriptions', { customerExternalId: `c-${feature}`, planKey: `plan-${feature}` });
  return { subscriptionId: sub.id as string, feature };
}
