import { burst } from './support/concurrent';
import { DAY_MS, HOUR_MS, iso, unique } from './support/fixtures';
import { statusCounts } from './support/http';
import { TestApp, createTestApp } from './support/test-app';

/**
 * The catalog contract of issue 2: features, plans (versions, ETag / If-Match, limits that change
 * from the next period on), customers, subscriptions (anchored periods, Jan-31 clamping) and the
 * usage of a period, all through HTTP against a real database.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Written here, independently of src/: `months` after `anchor`, the day clamped to the month's end. */
function addMonthsClamped(anchor: Date, months: number): Date {
  const total = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const d = new Date(anchor);
  d.setUTCFullYear(year, month, Math.min(anchor.getUTCDate(), lastDay));
  return d;
}

describe('catalog', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const createFeature = async (body: object = {}) =>
    (await t.http().post('/v1/features').send({ key: unique('f'), name: 'Feature', ...body }).expect(201)).body;
  const createPlan = async (body: object) =>
    (await t.http().post('/v1/plans').send({ key: unique('p'), name: 'Plan', currency: 'USD', ...body }).expect(201)).body;
  const createCustomer = async () =>
    (await t.http().post('/v1/customers').send({ externalId: unique('c'), name: 'Customer' }).expect(201)).body;
  const subscribe = async (planKey: string, startAt?: string) => {
    const customer = await createCustomer();
    const res = await t
      .http()
      .post('/v1/subscriptions')
      .send({ customerExternalId: customer.externalId, planKey, ...(startAt ? { startAt } : {}) })
      .expect(201);
    return res.body;
  };
  const use = (subscriptionId: string, feature: string, extra: object = {}) =>
    t.http().post('/v1/usage').send({ subscriptionId, feature, ...extra });
  const usageAt = async (subscriptionId: string, at: string) =>
    (await t.http().get(`/v1/subscriptions/${subscriptionId}/usage`).query({ at }).expect(200)).body;

  describe('features', () => {
    it('are created with strategy atomic by default and read back by key', async () => {
      const key = unique('api-calls');
      const created = await t.http().post('/v1/features').send({ key, name: 'API calls' }).expect(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(UUID),
        key,
        name: 'API calls',
        strategy: 'atomic',
        createdAt: expect.stringMatching(ISO_UTC),
      });
      const read = await t.http().get(`/v1/features/${key}`).expect(200);
      expect(read.body).toEqual(created.body);
    });

    it.each(['atomic', 'pessimistic', 'optimistic'])('keep the strategy they are given (%s)', async (strategy) => {
      const feature = await createFeature({ strategy });
      expect(feature.strategy).toBe(strategy);
      expect((await t.http().get(`/v1/features/${feature.key}`).expect(200)).body.strategy).toBe(strategy);
    });

    it('refuse a duplicate key with 409 already_exists, also when created concurrently', async () => {
      const feature = await createFeature();
      const again = await t.http().post('/v1/features').send({ key: feature.key, name: 'Other' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ statusCode: 409, code: 'already_exists' });

      const key = unique('raced');
      const answers = await burst(t.baseUrl, '/v1/features', Array(10).fill({ key, name: 'Raced' }));
      expect(statusCounts(answers)).toEqual({ 201: 1, 409: 9 });
    });
  });

  describe('plans', () => {
    it('are created with version 1, money as decimal strings, and read back with an ETag of the version', async () => {
      const f1 = await createFeature();
      const f2 = await createFeature();
      const key = unique('pro');
      const created = await t
        .http()
        .post('/v1/plans')
        .send({
          key,
          name: 'Pro',
          currency: 'KRW',
          interval: 'month',
          baseFee: '49000',
          charges: [
            { feature: f1.key, limit: 1000, pricing: { model: 'per_unit', unitPrice: '2' } },
            { feature: f2.key },
          ],
        })
        .expect(201);
      expect(created.body).toMatchObject({
        key,
        name: 'Pro',
        currency: 'KRW',
        interval: 'month',
        baseFee: '49000',
        version: 1,
        charges: [
          { feature: f1.key, limit: 1000, pricing: { model: 'per_unit', unitPrice: '2' } },
          { feature: f2.key, limit: null },
        ],
      });
      const read = await t.http().get(`/v1/plans/${key}`).expect(200);
      expect(read.body).toEqual(created.body);
      expect(read.headers.etag).toBe('"1"');
    });

    it('keep a decimal baseFee exact and default it to "0"', async () => {
      const f = await createFeature();
      expect((await createPlan({ interval: 'month', baseFee: '49.99', charges: [{ feature: f.key }] })).baseFee).toBe('49.99');
      expect((await createPlan({ interval: 'month', charges: [{ feature: f.key }] })).baseFee).toBe('0');
    });

    it('refuse a duplicate key with 409 already_exists', async () => {
      const f = await createFeature();
      const plan = await createPlan({ interval: 'month', charges: [{ feature: f.key }] });
      const again = await t
        .http()
        .post('/v1/plans')
        .send({ key: plan.key, name: 'Again', currency: 'USD', interval: 'month', charges: [] });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'already_exists' });
    });

    it('take If-Match: * as whatever version the plan has now', async () => {
      const f = await createFeature();
      const plan = await createPlan({ interval: 'month', charges: [{ feature: f.key }] });
      const res = await t.http().patch(`/v1/plans/${plan.key}`).set('if-match', '*').send({ name: 'Any' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'Any', version: 2 });
      const zero = await t.http().patch(`/v1/plans/${plan.key}`).set('if-match', '0').send({ name: 'No' });
      expect(zero.status).toBe(412);
    });

    it('are edited with If-Match, quoted or not; stale is 412, missing is 428', async () => {
      const f = await createFeature();
      const plan = await createPlan({ interval: 'month', charges: [{ feature: f.key, limit: 10 }] });
      const path = `/v1/plans/${plan.key}`;
      const etag = (await t.http().get(path).expect(200)).headers.etag;

      // The ETag sent back as it came (quoted).
      const first = await t.http().patch(path).set('if-match', etag).send({ name: 'Renamed' });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ name: 'Renamed', version: 2 });
      expect(first.headers.etag).toBe('"2"');

      // Unquoted.
      const second = await t.http().patch(path).set('if-match', '2').send({ baseFee: '5.50' });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ name: 'Renamed', baseFee: '5.5', version: 3 });

      const stale = await t.http().patch(path).set('if-match', etag).send({ name: 'Lost' });
      expect(stale.status).toBe(412);
      expect(stale.body).toMatchObject({ statusCode: 412, code: 'version_mismatch' });

      const missing = await t.http().patch(path).send({ name: 'Lost' });
      expect(missing.status).toBe(428);
      expect(missing.body).toMatchObject({ statusCode: 428, code: 'precondition_required' });

      const read = await t.http().get(path).expect(200);
      expect(read.body).toMatchObject({ name: 'Renamed', baseFee: '5.5', version: 3 });
      expect(read.headers.etag).toBe('"3"');
    });

    it('let exactly one of several concurrent edits from the same version win', async () => {
      const f = await createFeature();
      const plan = await createPlan({ interval: 'month', charges: [{ feature: f.key }] });
      const edits = Array.from({ length: 10 }, (_, i) => ({ name: `Edit ${i}` }));
      const answers = await burst(t.baseUrl, `/v1/plans/${plan.key}`, edits, { method: 'PATCH', headers: { 'if-match': '"1"' } });
      expect(statusCounts(answers)).toEqual({ 200: 1, 412: 9 });
      expect((await t.http().get(`/v1/plans/${plan.key}`).expect(200)).body.version).toBe(2);
    });

    /**
     * A daily plan; the subscription began 36 hours ago, so period 0 is over, period 1 runs now and
     * period 2 begins in 12 hours. The limit is lowered from 3 to 1 now: periods 0 and 1 began under
     * version 1 and keep 3, period 2 begins after the edit and gets 1.
     */
    it('apply a changed limit from the next period on, not to the running one', async () => {
      const f = await createFeature();
      const plan = await createPlan({ interval: 'day', charges: [{ feature: f.key, limit: 3 }] });
      const start = Date.now() - 36 * HOUR_MS;
      const sub = await subscribe(plan.key, iso(start));
      const current = { occurredAt: iso(Date.now()) };
      const next = { occurredAt: iso(start + 2 * DAY_MS + HOUR_MS) };
      const previous = { occurredAt: iso(start + HOUR_MS) };

      // One unit counted before the edit, so the running period's counter already exists.
      expect((await use(sub.id, f.key, current)).body).toMatchObject({ used: 1, limit: 3 });
      await t
        .http()
        .patch(`/v1/plans/${plan.key}`)
        .set('if-match', '"1"')
        .send({ charges: [{ feature: f.key, limit: 1 }] })
        .expect(200);

      // The running period keeps the limit it began with.
      expect((await use(sub.id, f.key, current)).body).toMatchObject({ used: 2, limit: 3, remaining: 1 });
      expect((await use(sub.id, f.key, current)).body).toMatchObject({ used: 3, limit: 3, remaining: 0 });
      const over = await use(sub.id, f.key, current);
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ code: 'limit_exceeded', used: 3, limit: 3 });

      // The next period has the new one. Usage cannot be dated in it yet (occurredAt may not lie
      // more than 5 minutes ahead), so its limit is read from the usage view of that period.
      expect((await use(sub.id, f.key, next)).status).toBe(400);

      // A period that began before the edit (a late event for it) is not touched either.
      expect((await use(sub.id, f.key, previous)).body).toMatchObject({ used: 1, limit: 3, periodStart: iso(start) });

      expect((await usageAt(sub.id, current.occurredAt)).features).toEqual([
        { feature: f.key, used: 3, limit: 3, remaining: 0 },
      ]);
      expect(await usageAt(sub.id, next.occurredAt)).toMatchObject({
        periodStart: iso(start + 2 * DAY_MS),
        periodEnd: iso(start + 3 * DAY_MS),
        features: [{ feature: f.key, used: 0, limit: 1, remaining: 1 }],
      });

      // A subscription that starts after the edit has the new limit from its first period.
      const later = await subscribe(plan.key);
      expect((await use(later.id, f.key)).body).toMatchObject({ used: 1, limit: 1 });
      expect((await use(later.id, f.key)).status).toBe(429);
    });

    /**
     * The next period's counter may exist before the edit, made by an event dated in the future.
     * It must still get the new limit: the period begins after the edit. (Refusing future-dated
     * events would satisfy this too: then nothing is counted there and the plan's limit shows.)
     */
    it('apply a changed limit to the next period even if an event dated in it came before the edit', async () => {
      const f = await createFeature();
      const plan = await createPlan({ interval: 'day', charges: [{ feature: f.key, limit: 3 }] });
      const start = Date.now() - 36 * HOUR_MS;
      const sub = await subscribe(plan.key, iso(start));
      const next = { occurredAt: iso(start + 2 * DAY_MS + HOUR_MS) };

      const early = await use(sub.id, f.key, next);
      expect(early.status).toBeLessThan(500);
      await t
        .http()
        .patch(`/v1/plans/${plan.key}`)
        .set('if-match', '"1"')
        .send({ charges: [{ feature: f.key, limit: 1 }] })
        .expect(200);

      const after = await use(sub.id, f.key, next);
      if (after.status === 201) expect(after.body).toMatchObject({ limit: 1 });
      expect((await usageAt(sub.id, next.occurredAt)).features).toEqual([
        expect.objectContaining({ feature: f.key, limit: 1 }),
      ]);
    });

    it('drop a removed charge from the next period on, keeping it in the running one', async () => {
      const kept = await createFeature();
      const removed = await createFeature();
      const plan = await createPlan({
        interval: 'day',
        charges: [{ feature: kept.key }, { feature: removed.key, limit: 5 }],
      });
      const start = Date.now() - 12 * HOUR_MS;
      const sub = await subscribe(plan.key, iso(start));
      await t
        .http()
        .patch(`/v1/plans/${plan.key}`)
        .set('if-match', '1')
        .send({ charges: [{ feature: kept.key }] })
        .expect(200);

      expect((await use(sub.id, removed.key)).status).toBe(201);
      expect((await usageAt(sub.id, iso(start + HOUR_MS))).features).toEqual([
        { feature: kept.key, used: 0, limit: null, remaining: null },
        { feature: removed.key, used: 1, limit: 5, remaining: 4 },
      ]);
      expect((await usageAt(sub.id, iso(start + DAY_MS + HOUR_MS))).features).toEqual([
        { feature: kept.key, used: 0, limit: null, remaining: null },
      ]);
    });
  });

  describe('customers', () => {
    it('are created, read back by externalId, and refused twice with 409', async () => {
      const externalId = unique('acme');
      const created = await t
        .http()
        .post('/v1/customers')
        .send({ externalId, name: 'Acme', email: 'billing@acme.test' })
        .expect(201);
      expect(created.body).toMatchObject({ id: expect.stringMatching(UUID), externalId, name: 'Acme', email: 'billing@acme.test' });
      expect((await t.http().get(`/v1/customers/${externalId}`).expect(200)).body).toEqual(created.body);

      const again = await t.http().post('/v1/customers').send({ externalId, name: 'Acme again' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ statusCode: 409, code: 'already_exists' });
    });

    it('have an optional email', async () => {
      const created = await createCustomer();
      expect(created.email).toBeNull();
    });
  });

  describe('subscriptions', () => {
    let monthly: { key: string };
    let feature: { key: string };
    beforeAll(async () => {
      feature = await createFeature();
      monthly = await createPlan({ interval: 'month', charges: [{ feature: feature.key, limit: 100 }] });
    });

    it('start now by default, in their first period', async () => {
      const customer = await createCustomer();
      const before = Date.now();
      const res = await t
        .http()
        .post('/v1/subscriptions')
        .send({ customerExternalId: customer.externalId, planKey: monthly.key })
        .expect(201);
      const after = Date.now();
      expect(res.body).toMatchObject({
        id: expect.stringMatching(UUID),
        customerExternalId: customer.externalId,
        planKey: monthly.key,
        startAt: expect.stringMatching(ISO_UTC),
      });
      const startAt = new Date(res.body.startAt);
      expect(startAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(startAt.getTime()).toBeLessThanOrEqual(after + 1000);
      expect(res.body.currentPeriodStart).toBe(res.body.startAt);
      expect(res.body.currentPeriodEnd).toBe(iso(addMonthsClamped(startAt, 1)));

      const read = await t.http().get(`/v1/subscriptions/${res.body.id}`).expect(200);
      expect(read.body).toMatchObject({
        id: res.body.id,
        customerExternalId: customer.externalId,
        planKey: monthly.key,
        startAt: res.body.startAt,
        currentPeriodStart: res.body.currentPeriodStart,
        currentPeriodEnd: res.body.currentPeriodEnd,
      });
    });

    it('may start in the past: the current period is the one that contains now', async () => {
      const f = await createFeature();
      const daily = await createPlan({ interval: 'day', charges: [{ feature: f.key }] });
      const start = Date.now() - 2 * DAY_MS - 12 * HOUR_MS;
      const sub = await subscribe(daily.key, iso(start));
      expect(sub).toMatchObject({
        startAt: iso(start),
        currentPeriodStart: iso(start + 2 * DAY_MS),
        currentPeriodEnd: iso(start + 3 * DAY_MS),
      });
    });

    it('answer startAt in UTC whatever offset it was given in', async () => {
      const sub = await subscribe(monthly.key, '2025-01-31T23:30:00-05:00');
      expect(sub.startAt).toBe('2025-02-01T04:30:00.000Z');
    });

    it('anchored on Jan 31 have periods ending Feb 29 (leap), Mar 31, Apr 30, May 31', async () => {
      const sub = await subscribe(monthly.key, '2024-01-31T10:00:00.000Z');
      const periodAt = async (at: string) => {
        const { periodStart, periodEnd } = await usageAt(sub.id, at);
        return [periodStart, periodEnd];
      };
      expect(await periodAt('2024-02-15T00:00:00.000Z')).toEqual(['2024-01-31T10:00:00.000Z', '2024-02-29T10:00:00.000Z']);
      // Start inclusive, end exclusive.
      expect(await periodAt('2024-02-29T09:59:59.999Z')).toEqual(['2024-01-31T10:00:00.000Z', '2024-02-29T10:00:00.000Z']);
      expect(await periodAt('2024-02-29T10:00:00.000Z')).toEqual(['2024-02-29T10:00:00.000Z', '2024-03-31T10:00:00.000Z']);
      expect(await periodAt('2024-04-15T00:00:00.000Z')).toEqual(['2024-03-31T10:00:00.000Z', '2024-04-30T10:00:00.000Z']);
      // The anchor day comes back after a short month: May 31, not May 30.
      expect(await periodAt('2024-05-15T00:00:00.000Z')).toEqual(['2024-04-30T10:00:00.000Z', '2024-05-31T10:00:00.000Z']);
      // Not a leap year.
      expect(await periodAt('2025-02-10T00:00:00.000Z')).toEqual(['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z']);

      // The current period follows the same rule, whatever today is.
      const now = Date.now();
      const current = (await t.http().get(`/v1/subscriptions/${sub.id}`).expect(200)).body;
      expect(new Date(current.currentPeriodStart).getTime()).toBeLessThanOrEqual(now);
      expect(new Date(current.currentPeriodEnd).getTime()).toBeGreaterThan(now);
      const months =
        (new Date(current.currentPeriodStart).getUTCFullYear() - 2024) * 12 + new Date(current.currentPeriodStart).getUTCMonth();
      const anchor = new Date('2024-01-31T10:00:00.000Z');
      expect(current.currentPeriodStart).toBe(iso(addMonthsClamped(anchor, months)));
      expect(current.currentPeriodEnd).toBe(iso(addMonthsClamped(anchor, months + 1)));
    });

    it('count usage in the period its occurredAt falls in, boundaries included', async () => {
      const sub = await subscribe(monthly.key, '2025-01-31T10:00:00.000Z');
      const atBoundary = await use(sub.id, feature.key, { occurredAt: '2025-02-28T10:00:00.000Z' });
      expect(atBoundary.status).toBe(201);
      expect(atBoundary.body).toMatchObject({ periodStart: '2025-02-28T10:00:00.000Z', periodEnd: '2025-03-31T10:00:00.000Z' });
      const justBefore = await use(sub.id, feature.key, { occurredAt: '2025-02-28T09:59:59.999Z' });
      expect(justBefore.body).toMatchObject({ used: 1, periodStart: '2025-01-31T10:00:00.000Z', periodEnd: '2025-02-28T10:00:00.000Z' });
      const tooEarly = await use(sub.id, feature.key, { occurredAt: '2025-01-31T09:59:59.999Z' });
      expect(tooEarly.status).toBe(409);
      expect(tooEarly.body).toMatchObject({ code: 'period_closed' });
    });

    it('anchored on Feb 29 renew yearly on Feb 28, and on Feb 29 in leap years', async () => {
      const f = await createFeature();
      const yearly = await createPlan({ interval: 'year', charges: [{ feature: f.key }] });
      const sub = await subscribe(yearly.key, '2024-02-29T00:00:00.000Z');
      const u = await usageAt(sub.id, '2025-06-01T00:00:00.000Z');
      expect([u.periodStart, u.periodEnd]).toEqual(['2025-02-28T00:00:00.000Z', '2026-02-28T00:00:00.000Z']);
      const leap = await usageAt(sub.id, '2028-03-01T00:00:00.000Z');
      expect([leap.periodStart, leap.periodEnd]).toEqual(['2028-02-29T00:00:00.000Z', '2029-02-28T00:00:00.000Z']);
    });

    it('of a weekly plan run in 7-day periods', async () => {
      const f = await createFeature();
      const weekly = await createPlan({ interval: 'week', charges: [{ feature: f.key }] });
      const sub = await subscribe(weekly.key, '2025-03-03T08:00:00.000Z');
      const u = await usageAt(sub.id, '2025-03-17T08:00:00.000Z');
      expect([u.periodStart, u.periodEnd]).toEqual(['2025-03-17T08:00:00.000Z', '2025-03-24T08:00:00.000Z']);
    });
  });

  describe('GET /v1/subscriptions/:id/usage', () => {
    it('lists every charge of the period containing `at` (default now), in plan order', async () => {
      const limited = await createFeature();
      const unlimited = await createFeature({ strategy: 'pessimistic' });
      const plan = await createPlan({
        interval: 'month',
        charges: [{ feature: limited.key, limit: 10 }, { feature: unlimited.key }],
      });
      const start = new Date(Date.now() - 40 * DAY_MS);
      const sub = await subscribe(plan.key, iso(start));

      await use(sub.id, limited.key, { quantity: 4 }).expect(201);
      await use(sub.id, unlimited.key, { quantity: 7 }).expect(201);
      await use(sub.id, limited.key, { quantity: 2, occurredAt: iso(start.getTime() + DAY_MS) }).expect(201);

      const now = (await t.http().get(`/v1/subscriptions/${sub.id}/usage`).expect(200)).body;
      expect(now).toMatchObject({
        periodStart: sub.currentPeriodStart,
        periodEnd: sub.currentPeriodEnd,
        features: [
          { feature: limited.key, used: 4, limit: 10, remaining: 6 },
          { feature: unlimited.key, used: 7, limit: null, remaining: null },
        ],
      });

      const first = await usageAt(sub.id, iso(start.getTime() + 2 * DAY_MS));
      expect(first).toMatchObject({
        periodStart: iso(start),
        periodEnd: iso(addMonthsClamped(start, 1)),
        features: [
          { feature: limited.key, used: 2, limit: 10, remaining: 8 },
          { feature: unlimited.key, used: 0, limit: null, remaining: null },
        ],
      });
    });

    it('is 404 for an unknown subscription', async () => {
      const res = await t.http().get('/v1/subscriptions/00000000-0000-4000-8000-000000000000/usage');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'not_found' });
    });
  });
});
