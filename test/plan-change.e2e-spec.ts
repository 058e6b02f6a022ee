import { clockAt } from './support/clock';
import { unique } from './support/fixtures';
import { TestApp, createTestApp } from './support/test-app';
import { sql } from './support/test-database';

/**
 * Plan changes end to end (issue 11), through the rollup. The app's clock is set (support/clock)
 * so that the change "now" happens at a moment chosen here and the amounts can be worked out by
 * hand. Every subscription is anchored at 2025-01-10T00:00:00Z, monthly; the period the changes
 * fall in is [2025-02-10, 2025-03-10): 28 days = 2,419,200 seconds.
 */
const START = '2025-01-10T00:00:00.000Z';
const CHANGE = '2025-02-20T12:00:00.000Z';

interface Catalog {
  small: string;
  large: string;
  euro: string;
  weekly: string;
  api: string;
  storage: string;
  seats: string;
}

describe('plan changes', () => {
  let t: TestApp;
  let c: Catalog;

  const post = (path: string, body: object) => t.http().post(path).send(body);
  const usage = (subscriptionId: string, feature: string, quantity: number, occurredAt: string) =>
    post('/v1/usage', { subscriptionId, feature, quantity, occurredAt });
  const change = (id: string, body: object) => post(`/v1/subscriptions/${id}/change-plan`, body);
  const rollup = (asOf: string) => post('/v1/billing/rollups', { asOf }).expect(200);
  const invoices = async (id: string) =>
    (await t.http().get('/v1/invoices').query({ subscriptionId: id, limit: 100 }).expect(200)).body.data.reverse();
  const phases = (id: string) =>
    sql(t.databaseUrl, `SELECT plan_id, effective_from, scheduled FROM subscription_plans WHERE subscription_id = $1 ORDER BY 2`, [id]);

  async function subscribe(planKey: string): Promise<string> {
    const customer = unique('customer');
    await post('/v1/customers', { externalId: customer, name: 'Customer' }).expect(201);
    return (await post('/v1/subscriptions', { customerExternalId: customer, planKey, startAt: START }).expect(201)).body.id;
  }

  beforeAll(async () => {
    t = await createTestApp();
    const feature = async (strategy: string) => {
      const key = unique(strategy);
      await post('/v1/features', { key, name: key, strategy }).expect(201);
      return key;
    };
    const api = await feature('atomic');
    const storage = await feature('pessimistic');
    const seats = await feature('optimistic');
    const plan = async (body: object) => {
      const key = unique('plan');
      await post('/v1/plans', { key, name: key, currency: 'USD', interval: 'month', ...body }).expect(201);
      return key;
    };
    const smallCharges = [
      { feature: api, limit: 100, pricing: { model: 'per_unit', unitPrice: '0.10' } },
      { feature: storage, limit: null, pricing: { model: 'graduated', tiers: [{ upTo: 10, unitPrice: '1' }, { upTo: null, unitPrice: '0.5' }] } },
    ];
    c = {
      api,
      storage,
      seats,
      small: await plan({ baseFee: '28', charges: smallCharges }),
      large: await plan({
        baseFee: '56',
        charges: [
          { feature: api, limit: 50, pricing: { model: 'per_unit', unitPrice: '0.05' } },
          { feature: storage, limit: null, pricing: { model: 'volume', tiers: [{ upTo: 10, unitPrice: '2' }, { upTo: null, unitPrice: '1' }] } },
          { feature: seats, limit: 30, pricing: { model: 'package', packageSize: 10, packagePrice: '3' } },
        ],
      }),
      euro: await plan({ baseFee: '28', currency: 'EUR', charges: smallCharges }),
      weekly: await plan({ baseFee: '28', interval: 'week', charges: smallCharges }),
    };
  });
  afterEach(() => jest.useRealTimers());
  afterAll(() => t.close());

  it('"now": splits the period at the change, bills each part by its plan, new limits from zero, anchor kept', async () => {
    const id = await subscribe(c.small);
    clockAt(CHANGE);
    await usage(id, c.api, 80, '2025-02-15T00:00:00Z').expect(201);
    await usage(id, c.storage, 15, '2025-02-16T00:00:00Z').expect(201);
    await usage(id, c.seats, 1, '2025-02-18T00:00:00Z').expect(404); // not in the small plan

    const changed = await change(id, { planKey: c.large, at: 'now' }).expect(200);
    expect(changed.body).toMatchObject({
      planKey: c.large,
      status: 'active',
      startAt: START,
      currentPeriodStart: CHANGE,
      currentPeriodEnd: '2025-03-10T00:00:00.000Z',
      pendingPlanKey: null,
      pendingPlanFrom: null,
    });

    clockAt('2025-03-09T00:00:00.000Z'); // later in the same period, to date usage after the change
    // The new part counts from zero under the large plan's limit of 50...
    const fromZero = await usage(id, c.api, 50, '2025-02-21T00:00:00Z').expect(201);
    expect(fromZero.body).toMatchObject({ used: 50, limit: 50, periodStart: CHANGE, periodEnd: '2025-03-10T00:00:00.000Z' });
    await usage(id, c.api, 1, '2025-02-22T00:00:00Z').expect(429);
    // ...while usage dated before the change still goes to the old part, under the old limit.
    const before = await usage(id, c.api, 10, '2025-02-20T11:59:59.999Z').expect(201);
    expect(before.body).toMatchObject({ used: 90, limit: 100, periodStart: '2025-02-10T00:00:00.000Z', periodEnd: CHANGE });
    await usage(id, c.storage, 12, CHANGE).expect(201);
    await usage(id, c.seats, 25, '2025-02-25T00:00:00Z').expect(201);
    await usage(id, c.seats, 1, '2025-02-19T00:00:00Z').expect(404); // before the change: the small plan

    clockAt('2025-03-12T00:00:00.000Z');
    expect((await rollup('2025-03-11T00:00:00.000Z')).body.invoicesCreated).toBe(3);
    const [first, oldPart, newPart] = await invoices(id);
    expect(first).toMatchObject({ periodStart: START, periodEnd: '2025-02-10T00:00:00.000Z', total: '28.00' });
    // Old part, small plan, [02-10 00:00, 02-20 12:00) = 10.5 days = 907,200 s of 2,419,200 s:
    //   base fee 28 × 907200 / 2419200 = 10.50
    //   api 90 × 0.10 = 9.00
    //   storage graduated 15: 10 × 1 + 5 × 0.5 = 12.50
    //   total 10.50 + 9.00 + 12.50 = 32.00
    expect(oldPart).toMatchObject({ periodStart: '2025-02-10T00:00:00.000Z', periodEnd: CHANGE, total: '32.00' });
    expect(oldPart.lines).toEqual([
      { type: 'base_fee', amount: '10.50' },
      { type: 'usage', feature: c.api, quantity: 90, amount: '9.00' },
      { type: 'usage', feature: c.storage, quantity: 15, amount: '12.50' },
    ]);
    // New part, large plan, [02-20 12:00, 03-10 00:00) = 17.5 days = 1,512,000 s of 2,419,200 s:
    //   base fee 56 × 1512000 / 2419200 = 35.00
    //   api 50 × 0.05 = 2.50
    //   storage volume 12 (past the first tier of 10): 12 × 1 = 12.00
    //   seats package 25 in packages of 10: 3 × 3 = 9.00
    //   total 35.00 + 2.50 + 12.00 + 9.00 = 58.50
    expect(newPart).toMatchObject({ periodStart: CHANGE, periodEnd: '2025-03-10T00:00:00.000Z', total: '58.50' });
    expect(newPart.lines).toEqual([
      { type: 'base_fee', amount: '35.00' },
      { type: 'usage', feature: c.api, quantity: 50, amount: '2.50' },
      { type: 'usage', feature: c.storage, quantity: 12, amount: '12.00' },
      { type: 'usage', feature: c.seats, quantity: 25, amount: '9.00' },
    ]);

    // The anchor never moved: the next period is a whole month from 03-10, under the large plan.
    clockAt('2025-04-12T00:00:00.000Z');
    expect((await rollup('2025-04-11T00:00:00.000Z')).body.invoicesCreated).toBe(1);
    const next = (await invoices(id))[3];
    expect(next).toMatchObject({ periodStart: '2025-03-10T00:00:00.000Z', periodEnd: '2025-04-10T00:00:00.000Z', total: '56.00' });
    expect((await t.http().get(`/v1/subscriptions/${id}`).expect(200)).body).toMatchObject({
      planKey: c.large,
      currentPeriodStart: '2025-04-10T00:00:00.000Z',
      currentPeriodEnd: '2025-05-10T00:00:00.000Z',
    });
  });

  it('"period_end": nothing changes until the next period, which the new plan governs and bills', async () => {
    const id = await subscribe(c.small);
    clockAt(CHANGE);
    const changed = await change(id, { planKey: c.large }).expect(200);
    expect(changed.body).toMatchObject({
      planKey: c.small,
      currentPeriodStart: '2025-02-10T00:00:00.000Z',
      currentPeriodEnd: '2025-03-10T00:00:00.000Z',
      pendingPlanKey: c.large,
      pendingPlanFrom: '2025-03-10T00:00:00.000Z',
    });
    clockAt('2025-03-09T00:00:00.000Z');
    // Still the small plan's limit of 100 in this period.
    await usage(id, c.api, 100, '2025-02-25T00:00:00Z').expect(201);
    await usage(id, c.seats, 1, '2025-02-25T00:00:00Z').expect(404);

    clockAt('2025-03-12T00:00:00.000Z');
    expect((await t.http().get(`/v1/subscriptions/${id}`).expect(200)).body).toMatchObject({
      planKey: c.large,
      pendingPlanKey: null,
      pendingPlanFrom: null,
      currentPeriodStart: '2025-03-10T00:00:00.000Z',
    });
    await usage(id, c.api, 51, '2025-03-11T00:00:00Z').expect(429);
    await usage(id, c.api, 50, '2025-03-11T00:00:00Z').expect(201);
    await usage(id, c.seats, 10, '2025-03-11T00:00:00Z').expect(201);

    clockAt('2025-04-12T00:00:00.000Z');
    await rollup('2025-04-11T00:00:00.000Z');
    const [, february, march] = await invoices(id);
    // Small plan, whole period: 28 + 100 × 0.10 = 38.00.
    expect(february).toMatchObject({ periodStart: '2025-02-10T00:00:00.000Z', periodEnd: '2025-03-10T00:00:00.000Z', total: '38.00' });
    // Large plan, whole period: 56 + 50 × 0.05 + 0 storage + 1 package of seats × 3 = 61.50.
    expect(march).toMatchObject({ periodStart: '2025-03-10T00:00:00.000Z', periodEnd: '2025-04-10T00:00:00.000Z', total: '61.50' });
    expect(march.lines).toEqual([
      { type: 'base_fee', amount: '56.00' },
      { type: 'usage', feature: c.api, quantity: 50, amount: '2.50' },
      { type: 'usage', feature: c.storage, quantity: 0, amount: '0.00' },
      { type: 'usage', feature: c.seats, quantity: 10, amount: '3.00' },
    ]);
  });

  it('withdraws a pending change: the plan stays, and there is nothing left to withdraw', async () => {
    const id = await subscribe(c.small);
    clockAt(CHANGE);
    await change(id, { planKey: c.large, at: 'period_end' }).expect(200);
    const withdrawn = await t.http().delete(`/v1/subscriptions/${id}/pending-change`).expect(200);
    expect(withdrawn.body).toMatchObject({ planKey: c.small, pendingPlanKey: null, pendingPlanFrom: null });
    const again = await t.http().delete(`/v1/subscriptions/${id}/pending-change`).expect(404);
    expect(again.body).toMatchObject({ code: 'not_found' });
    expect(await phases(id)).toHaveLength(1);

    clockAt('2025-03-12T00:00:00.000Z');
    const next = await usage(id, c.api, 100, '2025-03-11T00:00:00Z').expect(201);
    expect(next.body).toMatchObject({ limit: 100, periodStart: '2025-03-10T00:00:00.000Z' });
    // And a new change can be made after the withdrawal.
    await change(id, { planKey: c.large }).expect(200);
  });

  it('refuses what the contract refuses, and changes nothing', async () => {
    const id = await subscribe(c.small);
    clockAt(CHANGE);
    await usage(id, c.api, 5, '2025-02-15T00:00:00Z').expect(201);
    const state = async (subscriptionId: string) => ({
      subscription: (await t.http().get(`/v1/subscriptions/${subscriptionId}`).expect(200)).body,
      phases: await phases(subscriptionId),
      counters: await sql(
        t.databaseUrl,
        `SELECT feature_id, period_start, period_end, ends_at, used FROM usage_counters WHERE subscription_id = $1 ORDER BY 1, 2`,
        [subscriptionId],
      ),
    });
    const expectRefused = async (subscriptionId: string, body: object, status: number, code: string, says: RegExp) => {
      const before = await state(subscriptionId);
      const answer = await change(subscriptionId, body).expect(status);
      expect(answer.body).toMatchObject({ statusCode: status, code });
      expect(answer.body.message).toMatch(says);
      expect(await state(subscriptionId)).toEqual(before);
    };

    await t.http().post(`/v1/subscriptions/00000000-0000-0000-0000-000000000001/change-plan`).send({ planKey: c.large }).expect(404);
    await expectRefused(id, { planKey: 'no-such-plan', at: 'now' }, 404, 'not_found', /plan 'no-such-plan'/);
    await expectRefused(id, { planKey: c.euro, at: 'now' }, 409, 'conflict', /EUR/);
    await expectRefused(id, { planKey: c.weekly, at: 'now' }, 409, 'conflict', /week/);
    await expectRefused(id, { planKey: c.small, at: 'now' }, 409, 'conflict', /already on plan/);
    await expectRefused(id, { at: 'now' }, 400, 'validation_failed', /planKey/);
    await expectRefused(id, { planKey: c.large, at: 'tomorrow' }, 400, 'validation_failed', /at must be one of/);

    await change(id, { planKey: c.large }).expect(200);
    await expectRefused(id, { planKey: c.large, at: 'now' }, 409, 'conflict', /pending/);

    const cancelled = await subscribe(c.small);
    await post(`/v1/subscriptions/${cancelled}/cancel`, { at: 'period_end' }).expect(200);
    await expectRefused(cancelled, { planKey: c.large }, 409, 'conflict', /cancelled or ended/);
    const ended = await subscribe(c.small);
    await post(`/v1/subscriptions/${ended}/cancel`, { at: 'now' }).expect(200);
    expect((await t.http().get(`/v1/subscriptions/${ended}`).expect(200)).body.status).toBe('ended');
    await expectRefused(ended, { planKey: c.large, at: 'now' }, 409, 'conflict', /cancelled or ended/);
  });

  it('drops a pending change when the subscription is cancelled at the end of the period', async () => {
    const id = await subscribe(c.small);
    clockAt(CHANGE);
    await change(id, { planKey: c.large }).expect(200);
    const cancelled = await post(`/v1/subscriptions/${id}/cancel`, { at: 'period_end' }).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', pendingPlanKey: null, endsAt: '2025-03-10T00:00:00.000Z' });
  });
});
