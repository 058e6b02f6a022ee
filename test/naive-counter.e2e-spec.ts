import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { meteredSubscription } from './support/fixtures';
import { TestApp, createTestApp } from './support/test-app';
import { connect, sql } from './support/test-database';

/**
 * Why the strategies exist: the naive read-check-write, run by concurrent clients against the real
 * usage_counters table, loses updates and overshoots its limit. This code is deliberately wrong and
 * lives only here, never in src/. The same clients running the atomic conditional UPDATE are the
 * control: same overlap, exact result.
 */
const CLIENTS = 20;
const GAP_MS = 5;

interface Row {
  subscriptionId: string;
  featureId: string;
}

/** SELECT used; if used + 1 <= limit, wait a little (any work a handler does), UPDATE used = read + 1. */
async function naiveIncrement(client: Client, row: Row, limit: number | null): Promise<boolean> {
  const [{ used }] = (
    await client.query('SELECT used FROM usage_counters WHERE subscription_id = $1 AND feature_id = $2', [
      row.subscriptionId,
      row.featureId,
    ])
  ).rows;
  if (limit !== null && Number(used) + 1 > limit) return false;
  await sleep(GAP_MS);
  // The bug: the new value is computed from a read that another client may already have overtaken.
  await client.query('UPDATE usage_counters SET used = $3 WHERE subscription_id = $1 AND feature_id = $2', [
    row.subscriptionId,
    row.featureId,
    Number(used) + 1,
  ]);
  return true;
}

/** The atomic strategy's statement: the check is inside the write. */
async function atomicIncrement(client: Client, row: Row): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE usage_counters SET used = used + 1
      WHERE subscription_id = $1 AND feature_id = $2 AND ("limit" IS NULL OR used + 1 <= "limit")`,
    [row.subscriptionId, row.featureId],
  );
  return rowCount === 1;
}

describe('the naive read-check-write counter', () => {
  let t: TestApp;
  let clients: Client[];
  beforeAll(async () => {
    t = await createTestApp();
    // Connected up front, so that the increments start together instead of one per connect.
    clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(t.databaseUrl)));
  });
  afterAll(async () => {
    await Promise.all((clients ?? []).map((c) => c.end()));
    await t.close();
  });

  /** A counter row of the real schema, at 0, for a subscription made through the API. */
  async function freshCounter(limit: number | null): Promise<Row> {
    const m = await meteredSubscription(t.baseUrl, { limit });
    const [row] = await sql(
      t.databaseUrl,
      `INSERT INTO usage_counters (subscription_id, feature_id, period_start, period_end, "limit", plan_version)
       SELECT $1, f.id, now(), now() + interval '1 month', $3, 1 FROM features f WHERE f.key = $2
       RETURNING subscription_id AS "subscriptionId", feature_id AS "featureId"`,
      [m.subscriptionId, m.feature, limit],
    );
    return row;
  }

  const usedOf = async (row: Row) =>
    Number(
      (
        await sql(t.databaseUrl, 'SELECT used FROM usage_counters WHERE subscription_id = $1 AND feature_id = $2', [
          row.subscriptionId,
          row.featureId,
        ])
      )[0].used,
    );

  it(`loses updates: ${CLIENTS} concurrent increments all "succeed", the counter ends far lower`, async () => {
    const row = await freshCounter(null);
    const results = await Promise.all(clients.map((c) => naiveIncrement(c, row, null)));
    const succeeded = results.filter(Boolean).length;
    const used = await usedOf(row);
    expect(succeeded).toBe(CLIENTS);
    expect(used).toBeLessThan(succeeded);
  });

  it('passes its limit: more increments accepted than the limit allows', async () => {
    const limit = 10;
    const row = await freshCounter(limit);
    const results = await Promise.all(clients.map((c) => naiveIncrement(c, row, limit)));
    const succeeded = results.filter(Boolean).length;
    const used = await usedOf(row);
    // Every client read a counter with room left, so each promised a unit the limit did not have...
    expect(succeeded).toBeGreaterThan(limit);
    // ...and the counter does not even record what was promised.
    expect(used).toBeLessThan(succeeded);
  });

  it('control: the same clients with the check inside the UPDATE count exactly', async () => {
    const limit = 10;
    const unlimited = await freshCounter(null);
    const limited = await freshCounter(limit);
    const all = await Promise.all(clients.map((c) => atomicIncrement(c, unlimited)));
    const some = await Promise.all(clients.map((c) => atomicIncrement(c, limited)));
    expect(all.filter(Boolean)).toHaveLength(CLIENTS);
    expect(await usedOf(unlimited)).toBe(CLIENTS);
    expect(some.filter(Boolean)).toHaveLength(limit);
    expect(await usedOf(limited)).toBe(limit);
  });
});
