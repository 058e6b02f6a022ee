import { burst } from './support/concurrent';
import { Target, mixedQuantities } from './support/exactness';
import { meteredSubscription } from './support/fixtures';
import { statusCounts } from './support/http';
import { TestApp, createTestApp } from './support/test-app';
import { sql, totals } from './support/test-database';

/**
 * Combining (issue 9): concurrent requests for one counter that arrive while a transaction on it
 * is in flight share the next one. Each event must still be judged on its own, in turn, exactly as
 * if it had come alone. The transactions are told apart by the xmin of the ledger rows they wrote.
 */
const STRICT = ['atomic', 'pessimistic', 'optimistic'];
const quantities = Array.from({ length: 64 }, (_, i) => ((i * 5) % 7) + 1); // 1–7, 256 units asked

async function transactionsOf(databaseUrl: string, subscriptionId: string): Promise<number> {
  const [{ n }] = await sql(databaseUrl, `SELECT count(DISTINCT xmin::text)::int AS n FROM usage_events WHERE subscription_id = $1`, [
    subscriptionId,
  ]);
  return n;
}

describe.each([
  ['one instance', 1],
  ['two instances', 2],
])('combined transactions on %s', (_, instances) => {
  const apps: TestApp[] = [];
  let target: Target;
  beforeAll(async () => {
    apps.push(await createTestApp());
    if (instances === 2) apps.push(await createTestApp({ databaseUrl: apps[0].databaseUrl }));
    target = { urls: apps.map((a) => a.baseUrl), databaseUrl: apps[0].databaseUrl };
  });
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
  });

  describe.each(STRICT)('%s', (strategy) => {
    it('64 concurrent requests of quantities 1–7 against a limit of 150: never past it, every figure agrees', async () => {
      const { answers, state, subscriptionId } = await mixedQuantities(target, strategy, quantities, 150);
      // Every 429 reports a count that leaves no room for its quantity (mixedQuantities checks
      // the rest: ledger = counter = the 201s, the `used` values one serial order).
      for (const [i, a] of answers.entries()) if (a.status === 429) expect(a.body.used + quantities[i]).toBeGreaterThan(150);
      if (strategy !== 'optimistic') expect(state.used).toBeGreaterThanOrEqual(150 - 6);
      // Combined: fewer transactions wrote the accepted events than there are events (how many
      // fewer depends on how the requests' arrivals overlap; the benchmark shows the gain).
      const accepted = answers.filter((a) => a.status === 201).length;
      expect(await transactionsOf(target.databaseUrl, subscriptionId)).toBeLessThan(accepted);
    });

    it('repeats of one idempotency key inside a combined transaction are counted once', async () => {
      const m = await meteredSubscription(target.urls[0], { strategy, limit: null });
      // 16 keys, each sent 4 times at once, with the quantity of the key.
      const bodies = Array.from({ length: 64 }, (_, i) => ({
        subscriptionId: m.subscriptionId,
        feature: m.feature,
        idempotencyKey: `k${i % 16}`,
        quantity: (i % 16) + 1,
      }));
      const answers = await burst(target.urls, '/v1/usage', bodies);
      expect(statusCounts(answers)).toEqual({ 201: 16, 200: 48 });
      // Every answer for a key carries the figures of the one event counted for it.
      for (let k = 0; k < 16; k++) {
        const forKey = answers.filter((_, i) => i % 16 === k);
        const first = forKey.find((a) => a.status === 201)!;
        for (const a of forKey) expect({ ...a.body, duplicate: false }).toEqual(first.body);
      }
      const state = await totals(target.databaseUrl, m.subscriptionId);
      expect(state).toMatchObject({ used: 136, events: 16, quantity: 136 }); // 1 + 2 + … + 16
      expect(await transactionsOf(target.databaseUrl, m.subscriptionId)).toBeLessThan(16);
    });
  });
});
