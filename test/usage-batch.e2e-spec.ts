import { meteredSubscription } from './support/fixtures';
import { TestApp, createTestApp } from './support/test-app';
import { sql } from './support/test-database';

describe('POST /v1/usage/batch', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each(['atomic', 'pessimistic', 'optimistic', 'buffered'])(
    'judges mixed events one by one, in order (%s)',
    async (strategy) => {
      const m = await meteredSubscription(t.baseUrl, { strategy, limit: 5 });
      const ok = (extra: object = {}) => ({ subscriptionId: m.subscriptionId, feature: m.feature, ...extra });
      const events = [
        ok({ quantity: 2, idempotencyKey: 'k1' }), // 0 accepted, used 2
        ok({ idempotencyKey: 'k1' }), // 1 duplicate of 0
        ok({ quantity: 0 }), // 2 invalid
        ok({ quantity: 4 }), // 3 over the limit (2 + 4 > 5)
        ok({ quantity: 3 }), // 4 accepted, used 5: the refusal before it counted nothing
        { ...ok(), bogus: true }, // 5 invalid: unknown field
        ok({ feature: 'no-such-feature' }), // 6 not found
        'not an object', // 7 invalid
        ok({ subscriptionId: '00000000-0000-4000-8000-000000000000' }), // 8 not found
        ok(), // 9 over the limit
      ];
      const res = await t.http().post('/v1/usage/batch').send({ events }).expect(200);
      const results = res.body.results;
      expect(results.map((r: any) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(results.map((r: any) => r.status)).toEqual([
        'accepted',
        'duplicate',
        'invalid',
        'limit_exceeded',
        'accepted',
        'invalid',
        'not_found',
        'invalid',
        'not_found',
        'limit_exceeded',
      ]);
      expect(results[0]).toMatchObject({ used: 2, limit: 5, remaining: 3, duplicate: false, feature: m.feature });
      expect(results[1]).toMatchObject({ used: 2, limit: 5, remaining: 3, duplicate: true });
      expect(results[2].message).toMatch(/quantity/);
      expect(results[3]).toMatchObject({ used: 2, limit: 5 });
      expect(results[4]).toMatchObject({ used: 5, remaining: 0 });
      expect(results[5].message).toMatch(/bogus/);

      const [ledger] = await sql(
        t.databaseUrl,
        `SELECT count(*)::int AS n, sum(quantity)::int AS total FROM usage_events WHERE subscription_id = $1`,
        [m.subscriptionId],
      );
      expect(ledger).toEqual({ n: 2, total: 5 });
      const usage = await t.http().get(`/v1/subscriptions/${m.subscriptionId}/usage`).expect(200);
      expect(usage.body.features[0]).toMatchObject({ used: 5, limit: 5, remaining: 0 });
    },
  );

  it('buffered events without keys take their quota together when the lease has room, one by one when not', async () => {
    const m = await meteredSubscription(t.baseUrl, { strategy: 'buffered', limit: 10 });
    const events = (n: number) => Array.from({ length: n }, () => ({ subscriptionId: m.subscriptionId, feature: m.feature }));
    const batch = async (n: number) => (await t.http().post('/v1/usage/batch').send({ events: events(n) }).expect(200)).body.results;
    // The first asks for the lease; the second may fit in what is left of it; the third does not.
    // Quota is taken in order; the `used` each answer reports is its place among the commits of
    // the ledger batches in flight, which may commit in another order: compared as sets.
    const usedOf = (results: any[]) => results.map((r) => r.used).sort((a, b) => a - b);
    const first = await batch(3);
    const second = await batch(5);
    const third = await batch(3);
    expect(usedOf(first)).toEqual([1, 2, 3]);
    expect(usedOf(second)).toEqual([4, 5, 6, 7, 8]);
    expect(third.map((r: any) => r.status)).toEqual(['accepted', 'accepted', 'limit_exceeded']);
    expect(usedOf(third.slice(0, 2))).toEqual([9, 10]);
    expect(third[2]).toMatchObject({ used: 10, limit: 10 });
    const [ledger] = await sql(t.databaseUrl, `SELECT count(*)::int AS n FROM usage_events WHERE subscription_id = $1`, [m.subscriptionId]);
    expect(ledger.n).toBe(10);
  });

  it.each([
    [{}, 'events'],
    [{ events: [] }, 'events'],
    [{ events: 'x' }, 'events'],
    [{ events: new Array(1001).fill({}) }, 'events'],
    [{ events: [{}], extra: 1 }, 'extra'],
  ])('refuses a malformed batch %# with 400 naming %s', async (body, field) => {
    const res = await t.http().post('/v1/usage/batch').send(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
    expect(res.body.message).toContain(field);
  });
});
