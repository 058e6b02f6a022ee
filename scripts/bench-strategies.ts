/**
 * npm run bench:strategies — the four strategies side by side on one hot counter, through HTTP.
 *
 * The server runs as a child process (the built dist/src/main.js); the load comes from autocannon
 * in another process. For each strategy and 1, 16 and 64 concurrent clients it prints accepted
 * events/s and p50/p99 latency, then the ratios to `atomic` measured in this same run, the naive
 * read-check-write against the database with the updates it lost, and batch ingestion.
 * Figures from one run on one machine; this machine is shared, so compare within a run.
 */
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { benchDatabase, hotCounter, startServer } from './support/bench-server';

const run = promisify(execFile);
const AUTOCANNON = join(__dirname, '..', '..', 'node_modules', 'autocannon', 'autocannon.js');
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = [1, 16, 64];
const STRATEGIES = ['atomic', 'pessimistic', 'optimistic', 'buffered'];
/** High enough never to trip during the run, so every answer is a counted event. */
const LIMIT = 1_000_000_000;

interface Measured {
  accepted: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, body: string, connections: number, seconds = DURATION_S): Promise<Measured> {
  const { stdout } = await run(
    process.execPath,
    [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json',
      '-b', body, '-j', url],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout);
  const accepted = r['2xx'];
  return {
    accepted,
    perSecond: accepted / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors + r.timeouts,
  };
}

/** Read, check, write back read+1 in separate statements: what every team writes once. */
async function naive(databaseUrl: string, workers: number, seconds: number) {
  const pool = new Pool({ connectionString: databaseUrl, max: workers });
  await pool.query('CREATE TABLE naive_counter (id int PRIMARY KEY, used bigint NOT NULL)');
  await pool.query('INSERT INTO naive_counter VALUES (1, 0)');
  let increments = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        const { rows } = await pool.query('SELECT used FROM naive_counter WHERE id = 1');
        const used = Number(rows[0].used);
        if (used + 1 > LIMIT) continue;
        await pool.query('UPDATE naive_counter SET used = $1 WHERE id = 1', [used + 1]);
        increments++;
      }
    }),
  );
  const { rows } = await pool.query('SELECT used FROM naive_counter WHERE id = 1');
  await pool.end();
  return { increments, counted: Number(rows[0].used) };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const db = await benchDatabase();
  const server = await startServer(db.url, { DB_POOL_SIZE: '20' });
  try {
    const results = new Map<string, Measured>();
    for (const strategy of STRATEGIES) {
      for (const clients of CLIENTS) {
        const counter = await hotCounter(server.baseUrl, strategy, LIMIT, `c${clients}`);
        const body = JSON.stringify({ subscriptionId: counter.subscriptionId, feature: counter.feature });
        const m = await load(`${server.baseUrl}/v1/usage`, body, clients);
        results.set(`${strategy}/${clients}`, m);
        process.stderr.write(`${strategy} c=${clients}: ${fmt(m.perSecond)} events/s p99=${m.p99} ms\n`);
      }
    }

    const batchCounter = await hotCounter(server.baseUrl, 'buffered', null, 'batch');
    const event = { subscriptionId: batchCounter.subscriptionId, feature: batchCounter.feature };
    const batchBody = JSON.stringify({ events: Array.from({ length: 1000 }, () => event) });
    const batch = await load(`${server.baseUrl}/v1/usage/batch`, batchBody, 8);

    const lost = await naive(db.url, 16, DURATION_S);

    console.log(`\nTally strategies, one hot counter, ${DURATION_S} s per cell, ${cpus().length} cores (${cpus()[0].model})\n`);
    console.log('| strategy | clients | accepted events/s | p50 ms | p99 ms | non-2xx | × atomic |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const strategy of STRATEGIES) {
      for (const clients of CLIENTS) {
        const m = results.get(`${strategy}/${clients}`)!;
        const base = results.get(`atomic/${clients}`)!;
        console.log(
          `| ${strategy} | ${clients} | ${fmt(m.perSecond)} | ${m.p50} | ${m.p99} | ${m.errors} | ${fmt(m.perSecond / base.perSecond, 2)} |`,
        );
      }
    }
    const at64 = (s: string) => results.get(`${s}/64`)!.perSecond;
    console.log(`\nAt 64 clients: buffered = ${fmt(at64('buffered') / at64('atomic'), 1)}× atomic, ` +
      `${fmt(at64('buffered') / at64('pessimistic'), 1)}× pessimistic; buffered p99 ${results.get('buffered/64')!.p99} ms`);
    console.log(`Batch ingestion (buffered, 1000 events a request, 8 clients): ${fmt(batch.perSecond * 1000)} events/s, ` +
      `p99 ${batch.p99} ms per request`);
    console.log(`Naive read-check-write, 16 clients, ${DURATION_S} s: ${fmt(lost.increments)} increments reported, ` +
      `counter shows ${fmt(lost.counted)}: ${fmt(lost.increments - lost.counted)} updates lost ` +
      `(${fmt((100 * (lost.increments - lost.counted)) / lost.increments, 1)}%)`);
  } finally {
    await server.stop();
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
