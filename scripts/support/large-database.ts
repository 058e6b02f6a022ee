/**
 * Fills a bench database the way a database in service looks to the hot path: many
 * subscriptions (with their customers), a long ledger and the counters that go with it, so that
 * every index the hot path reads or writes (usage_events' four, usage_counters' primary key,
 * subscriptions') is large rather than a page or two.
 *
 * Set-based SQL only (INSERT … SELECT from generate_series), then VACUUM ANALYZE — as autovacuum
 * would have done long ago in a database this size, and so that it does not start in the middle
 * of the measurement — and a CHECKPOINT, so that the seeding's WAL is not written back during it.
 *
 * What is seeded: two features (atomic and buffered) on one monthly plan, `subscriptions`
 * subscriptions anchored on the 1st of the month five months ago, and `events` ledger events of
 * quantity 1 spread evenly over subscriptions, both features and the six periods begun so far;
 * one counter per (subscription, feature, period) holding the sum of its events. The buffered
 * feature's events carry the ids of sixteen instances that have since been retired (their
 * usage_instances rows are gone, as after a graceful shutdown), as such events do. The periods
 * that have ended are left un-invoiced: the bench server runs with the rollup schedule off.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { periodByIndex } from '../../src/catalog/subscriptions/billing-period';

export interface SeedSizes {
  events: number;
  subscriptions: number;
}

export interface SeedReport {
  seconds: number;
  /** Each step and its time in seconds, in order. */
  steps: [string, number][];
  counters: number;
}

const PERIODS = 6;
/** Ledger events per INSERT statement: a few big statements, with progress in between. */
const EVENTS_PER_STATEMENT = 1_000_000;
const RETIRED_INSTANCES = 16;
const LIMIT = 1_000_000_000;

export async function seedLargeDatabase(
  url: string,
  { events, subscriptions }: SeedSizes,
  progress: (line: string) => void = () => undefined,
): Promise<SeedReport> {
  const db = new Client({ connectionString: url });
  await db.connect();
  const steps: [string, number][] = [];
  const started = Date.now();
  const step = async (name: string, work: () => Promise<unknown>) => {
    const t = Date.now();
    await work();
    const seconds = (Date.now() - t) / 1000;
    steps.push([name, seconds]);
    progress(`  ${name}: ${seconds.toFixed(1)} s`);
  };

  try {
    const now = new Date();
    // The 1st of a month, so that the app's month arithmetic (day kept, clamped) never clamps.
    const anchor = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (PERIODS - 1), 1));
    const periods = Array.from({ length: PERIODS }, (_, i) => periodByIndex(anchor, 'month', i));
    const starts = periods.map((p) => p.start);
    const ends = periods.map((p) => p.end);
    let featureIds: string[] = [];

    await step('catalog', async () => {
      const { rows: features } = await db.query(
        `INSERT INTO features (key, name, strategy)
         VALUES ('seeded-atomic', 'Seeded (atomic)', 'atomic'), ('seeded-buffered', 'Seeded (buffered)', 'buffered')
         RETURNING id`,
      );
      featureIds = features.map((f) => f.id);
      const {
        rows: [plan],
      } = await db.query(
        `INSERT INTO plans (key, name, currency, interval, base_fee, version)
         VALUES ('seeded', 'Seeded', 'USD', 'month', 49, 1) RETURNING id`,
      );
      await db.query(`INSERT INTO plan_versions (plan_id, version, base_fee, effective_from) VALUES ($1, 1, 49, $2)`, [
        plan.id,
        new Date(anchor.getTime() - 86_400_000),
      ]);
      await db.query(
        `INSERT INTO plan_charges (plan_id, version, feature_id, position, "limit", pricing)
         SELECT $1, 1, f.id, f.position - 1, $3::bigint, '{"model":"per_unit","unitPrice":"0.001"}'::jsonb
           FROM unnest($2::uuid[]) WITH ORDINALITY AS f(id, position)`,
        [plan.id, featureIds, LIMIT],
      );
      await db.query(`CREATE TEMP TABLE seeded_plan AS SELECT $1::uuid AS id`, [plan.id]);
    });

    await step(`${subscriptions.toLocaleString('en-US')} customers and subscriptions`, async () => {
      await db.query(
        `WITH c AS (
           INSERT INTO customers (external_id, name)
           SELECT 'seeded-' || g, 'Seeded customer ' || g FROM generate_series(1, $1) g
           RETURNING id
         )
         INSERT INTO subscriptions (customer_id, plan_id, start_at)
         SELECT c.id, (SELECT id FROM seeded_plan), $2 FROM c`,
        [subscriptions, anchor],
      );
      // Numbered 0…n-1, so that event g can belong to subscription g mod n.
      await db.query(
        `CREATE TEMP TABLE seeded_subscriptions AS
         SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS n
           FROM subscriptions WHERE plan_id = (SELECT id FROM seeded_plan)`,
      );
      await db.query('ANALYZE seeded_subscriptions');
    });

    await step(`${events.toLocaleString('en-US')} ledger events`, async () => {
      const instances = Array.from({ length: RETIRED_INSTANCES }, () => randomUUID());
      for (let from = 0; from < events; from += EVENTS_PER_STATEMENT) {
        const to = Math.min(events, from + EVENTS_PER_STATEMENT);
        // Event g: subscription g mod n; its k-th event (k = g div n) alternates the features,
        // then walks the periods; j counts the events of one counter, so used_after = j + 1.
        // Buffered events come in batches of 1000 numbered g div 1000, each from one instance.
        await db.query(
          `INSERT INTO usage_events
             (subscription_id, feature_id, period_start, quantity, occurred_at, recorded_at, used_after,
              instance_id, batch_no)
           SELECT s.id, ($4::uuid[])[1 + v.f], ($5::timestamptz[])[1 + v.p], 1, v.at, v.at, v.j + 1,
                  CASE WHEN v.f = 1 THEN ($6::uuid[])[1 + v.batch % $7] END,
                  CASE WHEN v.f = 1 THEN v.batch END
             FROM (SELECT g % $3 AS n, k % 2 AS f, (k / 2) % $8 AS p, k / (2 * $8) AS j, g / 1000 AS batch,
                          least(now(), ($5::timestamptz[])[1 + (k / 2) % $8]
                                       + (k / (2 * $8)) * interval '1 hour' + (g % $3 % 1440) * interval '1 minute') AS at
                     FROM generate_series($1::bigint, $2::bigint - 1) g, LATERAL (SELECT g / $3 AS k) kk) v
             JOIN seeded_subscriptions s ON s.n = v.n`,
          [from, to, subscriptions, featureIds, starts, instances, RETIRED_INSTANCES, PERIODS],
        );
        progress(`    ledger: ${to.toLocaleString('en-US')} of ${events.toLocaleString('en-US')}`);
      }
    });

    let counters = 0;
    await step('counters', async () => {
      const { rowCount } = await db.query(
        `INSERT INTO usage_counters (subscription_id, feature_id, period_start, period_end, used, "limit", plan_version)
         SELECT e.subscription_id, e.feature_id, e.period_start, p.period_end, sum(e.quantity), $3::bigint, 1
           FROM usage_events e
           JOIN seeded_subscriptions s ON s.id = e.subscription_id
           JOIN unnest($1::timestamptz[], $2::timestamptz[]) AS p(period_start, period_end)
             ON p.period_start = e.period_start
          GROUP BY e.subscription_id, e.feature_id, e.period_start, p.period_end`,
        [starts, ends, LIMIT],
      );
      counters = rowCount ?? 0;
    });

    await step('VACUUM ANALYZE', () => db.query('VACUUM (ANALYZE) usage_events, usage_counters, subscriptions, customers'));
    await step('CHECKPOINT', () =>
      db.query('CHECKPOINT').catch((error) => progress(`    CHECKPOINT skipped: ${(error as Error).message}`)),
    );

    return { seconds: (Date.now() - started) / 1000, steps, counters };
  } finally {
    await db.end();
  }
}
