/**
 * npm run bench:export [-- 1000000]
 *
 * The CSV export of GET /v1/usage/events with memory sampled: one subscription with a million
 * events (or the count given), written straight into the ledger with generate_series; the built
 * server (dist/src/main.js) in a child process; the CSV downloaded whole while the server's
 * resident memory (VmRSS in /proc/<pid>/status) is read every 100 ms. Prints the rows, the
 * seconds, and the RSS before the download and its min and max during it: flat means the max
 * stays near the baseline however many rows.
 *
 * Uses DATABASE_URL when set (a database is created and dropped on that server); otherwise starts
 * a throwaway embedded PostgreSQL, as the test suite does. Linux only (/proc).
 */
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { benchDatabase, post, startServer } from './support/bench-server';

const DEFAULT_EVENTS = 1_000_000;
const SAMPLE_MS = 100;
const MB = 1024 * 1024;

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line!.split(/\s+/)[1]) * 1024;
}

async function seed(url: string, subscriptionId: string, featureKey: string, events: number, start: Date): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    // One event a millisecond from the subscription's start, every tenth with an idempotency key
    // that needs quoting; the period is the first (a monthly plan, a million ms is 17 minutes).
    await db.query(
      `INSERT INTO usage_events (subscription_id, feature_id, period_start, quantity, idempotency_key, occurred_at, used_after)
       SELECT $1, (SELECT id FROM features WHERE key = $2), $3, 1 + g % 7,
              CASE WHEN g % 10 = 0 THEN 'key "' || g || '", bench' END,
              $3::timestamptz + g * interval '1 millisecond', g
         FROM generate_series(1, $4::int) g`,
      [subscriptionId, featureKey, start, events],
    );
    await db.query('ANALYZE usage_events');
    const plan = await db.query(
      `EXPLAIN SELECT e.* FROM usage_events e WHERE e.subscription_id = $1 ORDER BY e.occurred_at DESC, e.id DESC`,
      [subscriptionId],
    );
    console.log(`plan of the export's scan:\n  ${plan.rows.map((r) => r['QUERY PLAN']).join('\n  ')}`);
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? DEFAULT_EVENTS);
  const database = await benchDatabase();
  const server = await startServer(database.url, { LOG_LEVEL: 'warn' });
  try {
    const start = new Date(Date.now() - 3_600_000);
    await post(server.baseUrl, '/v1/features', { key: 'bench-export', name: 'Export' });
    await post(server.baseUrl, '/v1/plans', { key: 'bench-export', name: 'Export', currency: 'USD', interval: 'month', charges: [{ feature: 'bench-export' }] });
    await post(server.baseUrl, '/v1/customers', { externalId: 'bench-export', name: 'Export' });
    const sub = await post(server.baseUrl, '/v1/subscriptions', { customerExternalId: 'bench-export', planKey: 'bench-export', startAt: start.toISOString() });
    const seeding = Date.now();
    await seed(database.url, sub.id, 'bench-export', events, start);
    console.log(`seeded ${events} events in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);

    const before = rssBytes(server.pid);
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssBytes(server.pid)), SAMPLE_MS);
    const began = Date.now();
    let firstByteMs = 0;
    let lines = 0;
    let bytes = 0;
    const res = await fetch(`${server.baseUrl}/v1/usage/events?subscriptionId=${sub.id}`, { headers: { accept: 'text/csv' } });
    if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (bytes === 0) firstByteMs = Date.now() - began;
      bytes += chunk.length;
      // Lines end in CRLF; the keys hold no line breaks, so every LF ends a line.
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    }
    const seconds = (Date.now() - began) / 1000;
    clearInterval(sampler);
    samples.push(rssBytes(server.pid));

    const rows = lines - 1;
    const mb = (n: number) => (n / MB).toFixed(1);
    console.log(
      [
        `rows        ${rows}${rows === events ? '' : `  (expected ${events})`}`,
        `bytes       ${bytes} (${mb(bytes)} MB)`,
        `seconds     ${seconds.toFixed(2)} (first byte after ${firstByteMs} ms; ${Math.round(rows / seconds)} rows/s)`,
        `RSS before  ${mb(before)} MB`,
        `RSS during  min ${mb(Math.min(...samples))} MB, max ${mb(Math.max(...samples))} MB (${samples.length} samples, every ${SAMPLE_MS} ms)`,
      ].join('\n'),
    );
    if (rows !== events) process.exitCode = 1;
  } finally {
    await server.stop();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
