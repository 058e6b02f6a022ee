/**
 * npm run bench:rollup [-- 1000 10000]
 *
 * For each size (default 1,000 / 10,000 / 100,000): a fresh database, that many subscriptions to a
 * monthly plan with three charges (per_unit, graduated, volume) and a base fee, each one period
 * behind with usage of every feature in the ledger and its counters; then one rollup, timed, with
 * the process's resident memory sampled every 10 ms. Seeding is set-based SQL and is not timed.
 *
 * Uses DATABASE_URL when set (a database per size is created and dropped on that server);
 * otherwise starts a throwaway embedded PostgreSQL, as the test suite does.
 */
import 'reflect-metadata';
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';
import { Client } from 'pg';
import { createApp } from '../src/app.factory';
import { BillingRollupService } from '../src/billing/rollup/billing-rollup.service';
import { periodByIndex } from '../src/catalog/subscriptions/billing-period';
import { loadConfig, resolveConfig } from '../src/config/config';
import { EmbeddedDatabase } from '../src/database/embedded/embedded-database';
import { createScratchDatabase } from '../src/database/scratch-database';

const DEFAULT_SIZES = [1_000, 10_000, 100_000];
const MB = 1024 * 1024;


async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Everything one size needs, in a handful of set-based statements. */
async function seed(url: string, size: number, start: Date, end: Date): Promise<void> {
  await withClient(url, async (db) => {
    await db.query('BEGIN');
    const features = await db.query(
      `INSERT INTO features (key, name, strategy)
       VALUES ('bench-calls', 'API calls', 'atomic'), ('bench-seats', 'Seats', 'pessimistic'),
              ('bench-storage', 'Storage GB', 'optimistic')
       RETURNING id, key`,
    );
    const featureId = (key: string) => features.rows.find((f) => f.key === key).id;
    const {
      rows: [plan],
    } = await db.query(
      `INSERT INTO plans (key, name, currency, interval, base_fee, version)
       VALUES ('bench', 'Bench', 'USD', 'month', 49, 1) RETURNING id`,
    );
    await db.query(`INSERT INTO plan_versions (plan_id, version, base_fee, effective_from) VALUES ($1, 1, 49, $2)`, [
      plan.id,
      new Date(start.getTime() - 86_400_000),
    ]);
    const charges: [string, object][] = [
      ['bench-calls', { model: 'per_unit', unitPrice: '0.002' }],
      [
        'bench-seats',
        { model: 'graduated', tiers: [{ upTo: 5, unitPrice: '10' }, { upTo: null, unitPrice: '8', flatFee: '1' }] },
      ],
      [
        'bench-storage',
        { model: 'volume', tiers: [{ upTo: 100, unitPrice: '0.5' }, { upTo: null, unitPrice: '0.25', flatFee: '2' }] },
      ],
    ];
    for (const [position, [key, pricing]] of charges.entries()) {
      await db.query(
        `INSERT INTO plan_charges (plan_id, version, feature_id, position, "limit", pricing) VALUES ($1, 1, $2, $3, NULL, $4)`,
        [plan.id, featureId(key), position, JSON.stringify(pricing)],
      );
    }
    await db.query(
      `INSERT INTO customers (external_id, name) SELECT 'bench-' || g, 'Customer ' || g FROM generate_series(1, $1) g`,
      [size],
    );
    await db.query(`INSERT INTO subscriptions (customer_id, plan_id, start_at) SELECT id, $1, $2 FROM customers`, [
      plan.id,
      start,
    ]);
    // One event per (subscription, feature) in the period that is due, and the counters that match it.
    await db.query(
      `INSERT INTO usage_events (subscription_id, feature_id, period_start, quantity, occurred_at, used_after)
       SELECT s.id, c.feature_id, $2, q.quantity, $2::timestamptz + interval '1 hour', q.quantity
         FROM subscriptions s
         JOIN plan_charges c ON c.plan_id = $1
         CROSS JOIN LATERAL (SELECT 1 + abs(hashtext(s.id::text || c.feature_id::text)) % 500 AS quantity) q`,
      [plan.id, start],
    );
    await db.query(
      `INSERT INTO usage_counters (subscription_id, feature_id, period_start, period_end, used, "limit")
       SELECT subscription_id, feature_id, period_start, $1, sum(quantity), NULL
         FROM usage_events GROUP BY subscription_id, feature_id, period_start`,
      [end],
    );
    await db.query('COMMIT');
    await db.query('VACUUM ANALYZE');
  });
}

interface Row {
  subscriptions: number;
  invoices: number;
  lines: number;
  seconds: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  heapPeakMb: number;
  liveHeapMb: number;
}

async function benchOne(serverUrl: string, size: number): Promise<Row> {
  const { url, drop } = await createScratchDatabase(serverUrl, `tally_bench_${size}`);
  const app = await createApp(resolveConfig({ ...loadConfig({}), billingRollupCron: null }, url), false);
  try {
    // Started 40 days ago, monthly: exactly one period has ended for every subscription.
    const start = new Date(Math.floor((Date.now() - 40 * 86_400_000) / 1000) * 1000);
    const { end } = periodByIndex(start, 'month', 0);
    process.stdout.write(`seeding ${size} subscriptions… `);
    const seedStarted = Date.now();
    await seed(url, size, start, end);
    process.stdout.write(`${((Date.now() - seedStarted) / 1000).toFixed(1)} s; rollup… `);

    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let heapPeak = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 10);
    // V8 lets garbage pile up to a few hundred MB before a full collection, so peak RSS says more
    // about V8's heuristics than about what the rollup holds. What it holds shows right after each
    // full (mark-compact) collection: sampled from the observer, which runs just after one.
    let liveHeap = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as any).detail?.kind === perf.NODE_PERFORMANCE_GC_MAJOR) {
          liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
        }
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    const started = process.hrtime.bigint();
    const result = await app.get(BillingRollupService).run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    gcObserver.disconnect();
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    process.stdout.write(`${seconds.toFixed(2)} s\n`);

    const [counts] = await withClient(url, async (db) =>
      (
        await db.query(
          `SELECT count(*)::int AS invoices, sum(jsonb_array_length(lines))::int AS lines,
                  (SELECT count(*) FROM usage_counters WHERE closed_at IS NULL)::int AS open_counters
             FROM invoices`,
        )
      ).rows,
    );
    if (result.invoicesCreated !== size || counts.invoices !== size || counts.lines !== size * 4 || counts.open_counters !== 0) {
      throw new Error(`size ${size}: unexpected result ${JSON.stringify({ result, counts })}`);
    }
    return {
      subscriptions: size,
      invoices: counts.invoices,
      lines: counts.lines,
      seconds,
      rssBeforeMb: rssBefore / MB,
      rssPeakMb: rssPeak / MB,
      heapPeakMb: heapPeak / MB,
      liveHeapMb: liveHeap / MB,
    };
  } finally {
    await app.close();
    await drop();
  }
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  const embedded = process.env.DATABASE_URL ? undefined : await EmbeddedDatabase.throwaway('tally-bench-');
  const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
  const rows: Row[] = [];
  try {
    for (const size of sizes.length ? sizes : DEFAULT_SIZES) rows.push(await benchOne(serverUrl, size));
  } finally {
    await embedded?.stop();
  }
  const server = embedded ? 'embedded PostgreSQL 17' : serverUrl.replace(/\/\/[^@]*@/, '//');
  console.log(`\nbilling rollup, three charges per subscription, one period each (${server})\n`);
  console.log(
    '| subscriptions | invoices | lines | rollup time | invoices/s | RSS before | peak RSS | peak heap | heap after full GC (max) |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.subscriptions.toLocaleString('en-US')} | ${r.invoices.toLocaleString('en-US')} | ` +
        `${r.lines.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} s | ${Math.round(r.invoices / r.seconds).toLocaleString('en-US')} | ` +
        `${r.rssBeforeMb.toFixed(0)} MB | ${r.rssPeakMb.toFixed(0)} MB | ${r.heapPeakMb.toFixed(0)} MB | ` +
        `${r.liveHeapMb ? `${r.liveHeapMb.toFixed(0)} MB` : 'no full GC'} |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
