/**
 * npm run bench:portal
 *
 * The portal page's server time for a customer with 5 subscriptions and 1,000,000 ledger events in
 * their current periods (issue 14: at most 150 ms). A fresh database; the catalog through the API;
 * the events, their counters and their recorded_at (spread over the 20 days of the period, as they
 * would have arrived) with set-based SQL (generate_series); then the page, timed:
 * - before the daily rollup is sealed (every event summed from the ledger), a few times, to show
 *   what the rollup is for;
 * - after DailyUsageSealer.sealAll() (what its one-minute timer does in service), 3 warm-ups and 30
 *   timed requests, one at a time. The figure is the median and the 95th percentile.
 * Also prints EXPLAIN ANALYZE of the daily-usage query.
 *
 * Uses DATABASE_URL when set (a scratch database on that server, dropped at the end); otherwise a
 * throwaway embedded PostgreSQL, as the test suite does.
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { createApp } from '../src/app.factory';
import { loadConfig, resolveConfig } from '../src/config/config';
import { EmbeddedDatabase } from '../src/database/embedded/embedded-database';
import { createScratchDatabase } from '../src/database/scratch-database';
import { DailyUsageSealer } from '../src/portal/daily-usage/daily-usage-sealer';
import { DAILY_USAGE_SQL } from '../src/portal/daily-usage/daily-usage.repository';

const SUBSCRIPTIONS = 5;
const FEATURES_PER_PLAN = 2;
const EVENTS = 1_000_000;
const PERIOD_DAYS_SO_FAR = 20;
const DAY_MS = 86_400_000;

async function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text.startsWith('{') ? JSON.parse(text) : text;
}

async function timePage(baseUrl: string, path: string, times: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    const res = await fetch(`${baseUrl}${path}`);
    await res.text();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== 200) throw new Error(`page: ${res.status}`);
  }
  return ms.sort((x, y) => x - y);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  const embedded = process.env.DATABASE_URL ? undefined : await EmbeddedDatabase.throwaway('tally-bench-');
  const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
  const { url, drop } = await createScratchDatabase(serverUrl, 'tally_bench_portal');
  const app = await createApp(resolveConfig({ ...loadConfig({}), billingRollupCron: null, port: 0, host: '127.0.0.1' }, url), false);
  const db = new Client({ connectionString: url });
  try {
    await app.listen(0, '127.0.0.1');
    const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const startAt = new Date(Math.floor((Date.now() - PERIOD_DAYS_SO_FAR * DAY_MS) / 1000) * 1000);

    process.stdout.write('catalog… ');
    await call(baseUrl, 'POST', '/v1/customers', { externalId: 'bench-portal', name: 'Bench Customer' });
    for (let s = 0; s < SUBSCRIPTIONS; s++) {
      const charges = [];
      for (let f = 0; f < FEATURES_PER_PLAN; f++) {
        const key = `bench-${s}-${f}`;
        await call(baseUrl, 'POST', '/v1/features', { key, name: `Feature ${s}.${f}`, strategy: 'atomic' });
        charges.push({ feature: key, limit: f === 0 ? 1_000_000 : null, pricing: { model: 'per_unit', unitPrice: '0.001' } });
      }
      await call(baseUrl, 'POST', '/v1/plans', { key: `bench-plan-${s}`, name: `Plan ${s}`, currency: 'USD', interval: 'month', baseFee: '49', charges });
      await call(baseUrl, 'POST', '/v1/subscriptions', { customerExternalId: 'bench-portal', planKey: `bench-plan-${s}`, startAt: startAt.toISOString() });
    }

    process.stdout.write(`${EVENTS.toLocaleString('en-US')} events… `);
    await db.connect();
    const seeded = Date.now();
    // Every (subscription, feature) gets an equal share of the events, evenly spread from the
    // period's start to now; each was recorded when it occurred.
    await db.query(
      `INSERT INTO usage_events (subscription_id, feature_id, period_start, quantity, occurred_at, recorded_at, used_after)
       SELECT c.subscription_id, c.feature_id, $1, 1, t.at, t.at, g.n
         FROM (SELECT s.id AS subscription_id, pc.feature_id, row_number() OVER (ORDER BY s.id, pc.feature_id) AS k
                 FROM subscriptions s JOIN plan_charges pc ON pc.plan_id = s.plan_id) c
        CROSS JOIN generate_series(1, $2::int) AS g(n)
        CROSS JOIN LATERAL (SELECT $1::timestamptz + (now() - $1::timestamptz) * ((g.n - 1)::float8 / $2) AS at) t
        ORDER BY t.at`,
      [startAt, EVENTS / (SUBSCRIPTIONS * FEATURES_PER_PLAN)],
    );
    await db.query(
      `INSERT INTO usage_counters (subscription_id, feature_id, period_start, period_end, used, "limit", plan_version)
       SELECT e.subscription_id, e.feature_id, e.period_start, e.period_start + interval '1 month', sum(e.quantity), pc."limit", 1
         FROM usage_events e JOIN subscriptions s ON s.id = e.subscription_id
         JOIN plan_charges pc ON pc.plan_id = s.plan_id AND pc.feature_id = e.feature_id
        GROUP BY e.subscription_id, e.feature_id, e.period_start, pc."limit"`,
    );
    // As the migration sets it for a ledger that already holds events: nothing sealed yet.
    await db.query(`UPDATE usage_daily_watermark SET sealed_through = date_trunc('milliseconds', (SELECT min(recorded_at) FROM usage_events))`);
    await db.query('VACUUM ANALYZE');
    await db.query('CHECKPOINT');
    process.stdout.write(`${((Date.now() - seeded) / 1000).toFixed(1)} s\n`);

    const session = await call(baseUrl, 'POST', '/v1/customers/bench-portal/portal-sessions', {});
    const path = new URL(session.url).pathname;

    const unsealed = await timePage(baseUrl, path, 3);
    console.log(`page before the daily rollup is sealed (every event summed live): median ${fmt(quantile(unsealed, 0.5))}`);

    const sealStarted = Date.now();
    const slices = await app.get(DailyUsageSealer).sealAll();
    console.log(`sealed ${slices} day-slices in ${((Date.now() - sealStarted) / 1000).toFixed(1)} s (once; then a minute's worth per tick)`);
    await db.query('ANALYZE');

    const { rows: ids } = await db.query(`SELECT id, now() - interval '1 month' AS since FROM subscriptions`);
    const { rows: mark } = await db.query(`SELECT sealed_through::text FROM usage_daily_watermark`);
    const { rows: plan } = await db.query(
      `EXPLAIN (ANALYZE, BUFFERS) ${DAILY_USAGE_SQL}`,
      [ids.map((r) => r.id), ids.map(() => startAt), mark[0].sealed_through],
    );
    console.log('\nEXPLAIN ANALYZE of the daily-usage query (after sealing):');
    for (const row of plan) console.log(`  ${row['QUERY PLAN']}`);

    await timePage(baseUrl, path, 3);
    const timed = await timePage(baseUrl, path, 30);
    const server = embedded ? 'embedded PostgreSQL 17' : serverUrl.replace(/\/\/[^@]*@/, '//');
    console.log(
      `\nportal page, ${SUBSCRIPTIONS} subscriptions, ${EVENTS.toLocaleString('en-US')} events in the current periods (${server}):` +
        `\n  median ${fmt(quantile(timed, 0.5))}, p95 ${fmt(quantile(timed, 0.95))}, max ${fmt(timed[timed.length - 1])} (30 requests, one at a time)`,
    );
  } finally {
    await db.end().catch(() => undefined);
    await app.close();
    await drop();
    await embedded?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
