import { burst } from './support/concurrent';
import { iso, unique } from './support/fixtures';
import { Answer, send, statusCounts } from './support/http';
import { TestApp, createTestApp } from './support/test-app';
import { connect, sql } from './support/test-database';
import { until } from './support/until';

/**
 * A plan change "now" racing the counts (issue 11), for every strategy: each event is counted in
 * exactly one of the two periods, the one its occurredAt falls in, never twice, never lost, and no
 * limit is passed in either. The change ends the old period's counters under their row locks (as
 * a cancellation does); a count that resolved its period from terms cached before the change is
 * refused there as 'ended' and must be counted again in the new period, by the same occurredAt.
 * Every event carries its own idempotency key, so each 201 can be found in the ledger.
 */
const STRATEGIES = ['atomic', 'pessimistic', 'optimistic', 'buffered'];
const MINUTE = 60_000;

interface Setup {
  subscriptionId: string;
  feature: string;
  oldPlan: string;
  newPlan: string;
}

describe('plan changes racing the counts', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    first = await createTestApp({ config: { usageFlushIntervalMs: 100 } });
    second = await createTestApp({ databaseUrl: first.databaseUrl, config: { usageFlushIntervalMs: 100 } });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  const post = (path: string, body: object) => send(first.baseUrl, 'POST', path, body);

  /** A feature counted by `strategy`, limited to `limit` under both plans; subscribed an hour ago. */
  async function setup(strategy: string, limit: number): Promise<Setup> {
    const feature = unique(strategy);
    expect((await post('/v1/features', { key: feature, name: feature, strategy })).status).toBe(201);
    const plan = async () => {
      const key = unique('plan');
      const body = { key, name: key, currency: 'USD', interval: 'month', charges: [{ feature, limit }] };
      expect((await post('/v1/plans', body)).status).toBe(201);
      return key;
    };
    const [oldPlan, newPlan] = [await plan(), await plan()];
    const customer = unique('customer');
    await post('/v1/customers', { externalId: customer, name: 'Customer' });
    const sub = await post('/v1/subscriptions', { customerExternalId: customer, planKey: oldPlan, startAt: iso(Date.now() - 60 * MINUTE) });
    return { subscriptionId: sub.body.id, feature, oldPlan, newPlan };
  }

  /**
   * What the database holds after the race, checked against the answers: every 201 is one ledger
   * row in the period its occurredAt falls in (and its answer names that period), nothing else is
   * in the ledger, and each counter holds exactly its period's ledger rows, within its limit.
   */
  async function expectExact(s: Setup, strategy: string, sent: { body: any; answer: Answer }[], change: Date, limit: number) {
    const allowed = strategy === 'optimistic' ? [201, 429, 503] : [201, 429];
    expect(sent.filter((x) => !allowed.includes(x.answer.status)).slice(0, 1).map((x) => x.answer)).toEqual([]);
    const accepted = sent.filter((x) => x.answer.status === 201);

    const ledger = await sql(
      first.databaseUrl,
      `SELECT idempotency_key AS key, period_start, occurred_at FROM usage_events WHERE subscription_id = $1`,
      [s.subscriptionId],
    );
    expect(ledger.map((r) => r.key).sort()).toEqual(accepted.map((x) => x.body.idempotencyKey).sort());
    const oldStart = ledger.find((r) => r.occurred_at < change)?.period_start;
    for (const row of ledger) {
      if (row.occurred_at < change) expect(row.period_start).toEqual(oldStart);
      else expect(row.period_start.toISOString()).toBe(change.toISOString());
    }
    const byKey = new Map(ledger.map((r) => [r.key, r]));
    for (const x of accepted) {
      expect(x.answer.body.periodStart).toBe(byKey.get(x.body.idempotencyKey)!.period_start.toISOString());
      expect(x.answer.body.used).toBeLessThanOrEqual(limit);
    }

    const counters = () =>
      sql(
        first.databaseUrl,
        `SELECT c.period_start, c.used::int, c."limit"::int,
                (SELECT count(*)::int FROM usage_events e
                  WHERE e.subscription_id = c.subscription_id AND e.period_start = c.period_start) AS events
           FROM usage_counters c WHERE c.subscription_id = $1 ORDER BY c.period_start`,
        [s.subscriptionId],
      );
    // The buffered strategy writes its counters at the next flush.
    await until(async () => (await counters()).every((c) => c.used === c.events), 'the counters to hold the ledger');
    const rows = await counters();
    expect(rows.map((c) => c.period_start.toISOString())).toEqual(
      [oldStart?.toISOString(), change.toISOString()].filter((x) => x !== undefined),
    );
    for (const c of rows) expect(c.used).toBeLessThanOrEqual(c.limit);
    expect(rows.reduce((sum, c) => sum + c.used, 0)).toBe(accepted.length);
  }

  describe.each(STRATEGIES)('%s', (strategy) => {
    it('counts each event racing a change "now" once, in the period of its occurredAt, within both limits', async () => {
      const limit = 40;
      const s = await setup(strategy, limit);
      const usage = (key: string, occurredAt?: number) => ({
        subscriptionId: s.subscriptionId,
        feature: s.feature,
        idempotencyKey: key,
        ...(occurredAt === undefined ? {} : { occurredAt: iso(occurredAt) }),
      });
      // Warm the caches (terms, period, counter) so that the race runs on terms from before the change.
      const warm = usage('warm', Date.now() - 30 * MINUTE);
      const warmed = await send(first.baseUrl, 'POST', '/v1/usage', warm);
      expect(warmed.status).toBe(201);

      const now = Date.now();
      // A third dated before the change, a third undated (the server's clock), a third dated ahead.
      const racing = Array.from({ length: 60 }, (_, i) =>
        usage(`race-${i}`, i % 3 === 0 ? now - 10 * MINUTE + i : i % 3 === 1 ? undefined : now + 2 * MINUTE + i),
      );
      const during = burst(first.baseUrl, '/v1/usage', racing);
      const changed = await send(first.baseUrl, 'POST', `/v1/subscriptions/${s.subscriptionId}/change-plan`, {
        planKey: s.newPlan,
        at: 'now',
      });
      expect(changed.status).toBe(200);
      expect(changed.body.planKey).toBe(s.newPlan);
      const change = new Date(changed.body.currentPeriodStart);
      const raceAnswers = await during;

      // Then the two sides of the change to the millisecond, still with the caches of before.
      const edges = Array.from({ length: 20 }, (_, i) => usage(`edge-${i}`, change.getTime() - (i % 2 === 0 ? 1 : 0)));
      const edgeAnswers = await burst(first.baseUrl, '/v1/usage', edges);
      expect(edgeAnswers.filter((a, i) => a.status === 201 && i % 2 === 1).every((a) => a.body.periodStart === change.toISOString())).toBe(true);
      // The new period counts from zero: with 40 allowed, the 10 dated at the change all fit.
      expect(statusCounts(edgeAnswers.filter((_, i) => i % 2 === 1))).toEqual({ 201: 10 });

      const sent = [
        { body: warm, answer: warmed },
        ...racing.map((body, i) => ({ body, answer: raceAnswers[i] })),
        ...edges.map((body, i) => ({ body, answer: edgeAnswers[i] })),
      ];
      await expectExact(s, strategy, sent, change, limit);
    });

    it('lets one of two concurrent changes through and refuses the other with 409', async () => {
      for (const at of ['now', 'period_end']) {
        const s = await setup(strategy, 10);
        const body = { planKey: s.newPlan, at };
        const answers = await burst([first.baseUrl, second.baseUrl], `/v1/subscriptions/${s.subscriptionId}/change-plan`, [body, body]);
        expect(statusCounts(answers)).toEqual({ 200: 1, 409: 1 });
        expect(answers.find((a) => a.status === 409)!.body).toMatchObject({ code: 'conflict' });
        const phases = await sql(first.databaseUrl, `SELECT 1 FROM subscription_plans WHERE subscription_id = $1`, [s.subscriptionId]);
        expect(phases).toHaveLength(2);
      }
    });
  });

  /**
   * The optimistic strategy reads the counter without a lock and writes only if its version is
   * unchanged. Ordered by hand: the test holds the counter row, the change (or a cancellation)
   * queues for it first, then an event dated after the change reads the row (no end yet) and
   * queues its write. The change commits first; the write must then find the version moved.
   */
  it.each(['change-plan', 'cancel'])('optimistic: a count decided before a %s "now" and written after it is not counted in the old period', async (action) => {
    const s = await setup('optimistic', 100);
    const ahead = iso(Date.now() + MINUTE);
    const body = { subscriptionId: s.subscriptionId, feature: s.feature, idempotencyKey: 'decided-before', occurredAt: ahead };
    const warm = await post('/v1/usage', { ...body, idempotencyKey: 'warm', occurredAt: iso(Date.now() - MINUTE) });
    expect(warm.status).toBe(201);
    const waiting = () =>
      sql<{ query: string }>(
        first.databaseUrl,
        `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
    const holder = await connect(first.databaseUrl);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM usage_counters WHERE subscription_id = $1 FOR UPDATE', [s.subscriptionId]);
      const changing =
        action === 'cancel'
          ? post(`/v1/subscriptions/${s.subscriptionId}/cancel`, { at: 'now' })
          : post(`/v1/subscriptions/${s.subscriptionId}/change-plan`, { planKey: s.newPlan, at: 'now' });
      await until(async () => (await waiting()).length === 1, 'the change to wait for the counter row');
      const counting = post('/v1/usage', body);
      await until(async () => (await waiting()).some((w) => /SET used/.test(w.query)), 'the count to wait with its decision');
      await holder.query('ROLLBACK');
      const [changed, counted] = await Promise.all([changing, counting]);
      expect(changed.status).toBe(200);
      if (action === 'cancel') {
        expect(counted.status).toBe(409);
      } else {
        expect(counted.status).toBe(201);
        expect(counted.body.periodStart).toBe(changed.body.currentPeriodStart);
      }
      // In the ledger once, in the new period; or, after the cancellation, not at all.
      const rows = await sql(first.databaseUrl, `SELECT period_start FROM usage_events WHERE subscription_id = $1 AND idempotency_key = $2`, [
        s.subscriptionId,
        body.idempotencyKey,
      ]);
      expect(rows.map((r) => r.period_start.toISOString())).toEqual(action === 'cancel' ? [] : [changed.body.currentPeriodStart]);
    } finally {
      await holder.end();
    }
  });

  it('a second instance with stale terms counts usage after a change on the first in the new period, every strategy', async () => {
    for (const strategy of STRATEGIES) {
      const limit = 40;
      const s = await setup(strategy, limit);
      const usage = (key: string, occurredAt: number) => ({
        subscriptionId: s.subscriptionId,
        feature: s.feature,
        idempotencyKey: key,
        occurredAt: iso(occurredAt),
      });
      // The second instance caches the terms of before the change.
      const warm = usage('warm', Date.now() - 30 * MINUTE);
      const warmed = await send(second.baseUrl, 'POST', '/v1/usage', warm);
      expect(warmed.status).toBe(201);
      const changed = await post(`/v1/subscriptions/${s.subscriptionId}/change-plan`, { planKey: s.newPlan, at: 'now' });
      expect(changed.status).toBe(200);
      const change = new Date(changed.body.currentPeriodStart);

      // First a batch (its events are resolved again one by one), then single events at once.
      const batched = Array.from({ length: 10 }, (_, i) => usage(`batch-${i}`, change.getTime() + (i % 2 === 0 ? -100 - i : 100 + i)));
      const batch = await send(second.baseUrl, 'POST', '/v1/usage/batch', { events: batched });
      expect(batch.status).toBe(200);
      const batchAnswers: Answer[] = batch.body.results.map((r: any) => ({ status: r.status === 'accepted' ? 201 : 0, headers: {}, body: r }));
      for (const [i, r] of batch.body.results.entries()) {
        expect(r).toMatchObject({ index: i, status: 'accepted', periodStart: i % 2 === 1 ? change.toISOString() : expect.any(String) });
      }
      const bodies = Array.from({ length: 40 }, (_, i) => usage(`stale-${i}`, change.getTime() + (i % 2 === 0 ? -1 - i : i)));
      const answers = await burst(second.baseUrl, '/v1/usage', bodies);
      // 20 after the change, with the batch's 5 within the new period's 40: none refused, none 409 period_closed.
      expect(statusCounts(answers.filter((_, i) => i % 2 === 1))).toEqual({ 201: 20 });
      for (const a of answers.filter((_, i) => i % 2 === 1)) expect(a.body.periodStart).toBe(change.toISOString());
      const sent = [
        { body: warm, answer: warmed },
        ...batched.map((body, i) => ({ body, answer: batchAnswers[i] })),
        ...bodies.map((body, i) => ({ body, answer: answers[i] })),
      ];
      await expectExact(s, strategy, sent, change, limit);
    }
  });
});
