/**
 * npm run bench:pipeline — what Tally's request pipeline (logging, request ids, metrics, auth,
 * validation) costs, against a bare Fastify server on the same machine and load generator.
 *
 *   node dist/scripts/bench-pipeline.js [path/to/main.js …]     (default: dist/src/main.js)
 *
 * Each server (bare Fastify, then every main.js given, e.g. an older build to compare with) runs
 * as a child process with stdout to /dev/null, LOG_LEVEL=info unless set, BILLING_ROLLUP_CRON=off.
 * autocannon, in another process, drives GET /health/live and POST /v1/usage on a buffered
 * feature whose limit is never reached, BENCH_CONNECTIONS (64) connections for BENCH_SECONDS (8)
 * per cell, BENCH_ROUNDS (3) rounds with the servers taking turns, so that the noise of a shared
 * machine falls on all of them alike. BENCH_CPU_PROF=<dir> runs the Tally servers under
 * `node --cpu-prof` (the profile is written when they exit); BENCH_ROUTES=live or =usage runs one
 * route only (a profile of one route).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../src/database/embedded/embedded-database';
import { benchDatabase, hotCounter } from './support/bench-server';

const run = promisify(execFile);
const AUTOCANNON = join(__dirname, '..', '..', 'node_modules', 'autocannon', 'autocannon.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LIMIT = 1_000_000_000;
const ROUTES = (process.env.BENCH_ROUTES ?? 'live,usage').split(',');

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** CPU time (user + system) the server spent per request, µs: steadier than req/s on a shared machine. */
  cpuUs: number;
}

/** CPU seconds a process has used so far (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

async function load(url: string, seconds: number, body?: string, pid?: number): Promise<Measured> {
  const post = body === undefined ? [] : ['-m', 'POST', '-H', 'content-type=application/json', '-b', body];
  const cpuBefore = cpuSeconds(pid);
  const { stdout } = await run(process.execPath, [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(seconds), ...post, '-j', url], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const cpu = cpuSeconds(pid) - cpuBefore;
  const r = JSON.parse(stdout);
  return {
    perSecond: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors + r.timeouts,
    cpuUs: (cpu * 1e6) / r.requests.total,
  };
}

interface Target {
  name: string;
  baseUrl: string;
  child: ChildProcess;
  usageBody: string;
}

async function spawnServer(script: string, env: Record<string, string>, nodeArgs: string[] = []) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${baseUrl}/health/live`).then((r) => r.ok, () => false)) return { baseUrl, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${script} did not start`);
}

const stop = (child: ChildProcess) =>
  new Promise((r) => {
    child.once('exit', r);
    child.kill('SIGTERM');
  });

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const mains = process.argv.slice(2).map((p) => resolve(p));
  if (mains.length === 0) mains.push(join(__dirname, '..', 'src', 'main.js'));
  const db = await benchDatabase();
  const targets: Target[] = [];
  try {
    const bare = await spawnServer(join(__dirname, 'support', 'bare-fastify.js'), {});
    targets.push({ name: 'bare Fastify', ...bare, usageBody: JSON.stringify({ subscriptionId: 'x', feature: 'f' }) });
    const prof = process.env.BENCH_CPU_PROF ? [`--cpu-prof`, `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROF)}`] : [];
    for (const [i, main] of mains.entries()) {
      const env = { DATABASE_URL: db.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', BILLING_ROLLUP_CRON: 'off' };
      const server = await spawnServer(main, env, prof);
      const counter = await hotCounter(server.baseUrl, 'buffered', LIMIT, `pipe${i}-${Date.now()}`);
      const usageBody = JSON.stringify({ subscriptionId: counter.subscriptionId, feature: counter.feature });
      targets.push({ name: mains.length === 1 ? 'Tally' : `Tally ${main}`, ...server, usageBody });
    }
    // Warm-up: JIT, pools, the buffered strategy's first lease.
    for (const t of targets) {
      if (ROUTES.includes('live')) await load(`${t.baseUrl}/health/live`, 2);
      if (ROUTES.includes('usage')) await load(`${t.baseUrl}/v1/usage`, 2, t.usageBody);
    }
    const results = new Map<string, Measured[]>();
    const record = (key: string, m: Measured) => {
      results.set(key, [...(results.get(key) ?? []), m]);
      process.stderr.write(`${key}: ${fmt(m.perSecond)}/s p50=${m.p50} p99=${m.p99} cpu=${fmt(m.cpuUs)}µs non2xx=${m.non2xx}\n`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const pid = t.child.pid;
        if (ROUTES.includes('live')) record(`${t.name} | GET /health/live`, await load(`${t.baseUrl}/health/live`, SECONDS, undefined, pid));
        if (ROUTES.includes('usage')) record(`${t.name} | POST /v1/usage`, await load(`${t.baseUrl}/v1/usage`, SECONDS, t.usageBody, pid));
      }
    }

    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s a cell, ${ROUNDS} rounds, ${cpus().length} cores (${cpus()[0].model})`);
    console.log('median of the rounds (req/s of each round in brackets); ratio to bare Fastify on the same route;');
    console.log('server CPU µs per request (user + system time of its process over the cell / requests)\n');
    console.log('| server | route | req/s | p50 ms | p99 ms | CPU µs/req | non-2xx | × bare |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [key, ms] of results) {
      const route = key.split(' | ')[1];
      const bare = median(results.get(`bare Fastify | ${route}`)!.map((m) => m.perSecond));
      const rps = median(ms.map((m) => m.perSecond));
      console.log(
        `| ${key} | ${fmt(rps)} (${ms.map((m) => fmt(m.perSecond)).join(', ')}) | ${median(ms.map((m) => m.p50))} | ` +
          `${median(ms.map((m) => m.p99))} | ${fmt(median(ms.map((m) => m.cpuUs)))} | ${ms.reduce((s, m) => s + m.non2xx, 0)} | ` +
          `${(rps / bare).toFixed(2)} |`,
      );
    }
  } finally {
    for (const t of targets) await stop(t.child);
    await db.stop();
  }
}

void main();
