import Decimal from 'decimal.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { DAY_MS, HOUR_MS, billedSubscription, invoicesOf, iso, quantityOn, unique } from './support/fixtures';
import { TestApp, createTestApp } from './support/test-app';

describe('invoices and cancellation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { billingRollupCron: null } });
  });
  afterAll(() => t.close());

  const rollup = () => t.http().post('/v1/billing/rollups').send({}).expect(200);
  const usage = (subscriptionId: string, feature: string, occurredAt?: string, quantity = 1) =>
    t.http().post('/v1/usage').send({ subscriptionId, feature, quantity, ...(occurredAt ? { occurredAt } : {}) });

  describe('listing, reading and voiding', () => {
    const customer = unique('customer');
    let a: Awaited<ReturnType<typeof billedSubscription>>;
    let krw: Awaited<ReturnType<typeof billedSubscription>>;

    beforeAll(async () => {
      await t.http().post('/v1/customers').send({ externalId: customer, name: 'Customer' }).expect(201);
      const daily = { interval: 'day' as const, charges: [{ pricing: { model: 'per_unit', unitPrice: '0.1' } }] };
      a = await billedSubscription(t.baseUrl, { ...daily, startAt: iso(Date.now() - 5 * DAY_MS - HOUR_MS), customerExternalId: customer });
      await billedSubscription(t.baseUrl, { ...daily, startAt: iso(Date.now() - 2 * DAY_MS - HOUR_MS), customerExternalId: customer });
      krw = await billedSubscription(t.baseUrl, {
        interval: 'day',
        currency: 'KRW',
        baseFee: '1000',
        charges: [{ pricing: { model: 'per_unit', unitPrice: '0.5' } }],
        startAt: iso(Date.now() - DAY_MS - HOUR_MS),
      });
      await usage(krw.subscriptionId, krw.features[0], iso(Date.now() - DAY_MS - HOUR_MS + 1000), 8325).expect(201);
      await rollup();
    });

    it('pages through a customer\'s invoices newest first with an opaque cursor', async () => {
      const seen: any[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await t
          .http()
          .get('/v1/invoices')
          .query({ customerExternalId: customer, limit: 3, ...(cursor ? { cursor } : {}) })
          .expect(200);
        sizes.push(page.body.data.length);
        seen.push(...page.body.data);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([3, 3, 1]);
      expect(new Set(seen.map((i) => i.id)).size).toBe(7);
      expect(seen.every((i) => i.customerExternalId === customer)).toBe(true);
      const starts = seen.map((i) => i.periodStart);
      expect(starts).toEqual([...starts].sort().reverse());

      expect(await invoicesOf(t.baseUrl, a.subscriptionId)).toHaveLength(5);
      const none = await t.http().get('/v1/invoices').query({ customerExternalId: unique('nobody') }).expect(200);
      expect(none.body).toEqual({ data: [], nextCursor: null });
    });

    it('reads one invoice by id, in the exact shape, with the currency\'s digits', async () => {
      const [listed] = await invoicesOf(t.baseUrl, krw.subscriptionId);
      const one = await t.http().get(`/v1/invoices/${listed.id}`).expect(200);
      expect(one.body).toEqual(listed);
      expect(Object.keys(one.body).sort()).toEqual(
        ['currency', 'customerExternalId', 'id', 'lines', 'periodEnd', 'periodStart', 'status', 'subscriptionId', 'total'],
      );
      expect(one.body.lines).toEqual([
        { type: 'base_fee', amount: '1000' },
        { type: 'usage', feature: krw.features[0], quantity: 8325, amount: '4163' }, // 4162.5 half-up
      ]);
      expect(one.body.total).toBe('5163');

      await t.http().get('/v1/invoices/not-a-uuid').expect(404);
      const unknown = await t.http().get('/v1/invoices/00000000-0000-4000-8000-000000000000').expect(404);
      expect(unknown.body.code).toBe('not_found');
    });

    it.each([
      ['limit', '0'],
      ['limit', '101'],
      ['limit', 'ten'],
      ['limit', '1.5'],
      ['status', 'paid'],
      ['subscriptionId', 'nope'],
      ['cursor', 'garbage'],
      ['colour', 'blue'],
    ])('refuses %s=%s with 400 naming the field', async (field, value) => {
      const res = await t.http().get('/v1/invoices').query({ [field]: value }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.message).toContain(field);
    });

    it('voids an invoice; the period stays closed and is not billed again', async () => {
      const invoices = await invoicesOf(t.baseUrl, a.subscriptionId);
      const oldest = invoices[invoices.length - 1];
      const voided = await t.http().post(`/v1/invoices/${oldest.id}/void`).expect(200);
      expect(voided.body).toEqual({ ...oldest, status: 'void' });
      // Voiding again changes nothing and says so the same way.
      await t.http().post(`/v1/invoices/${oldest.id}/void`).expect(200, voided.body);
      await t.http().post('/v1/invoices/00000000-0000-4000-8000-000000000000/void').expect(404);

      const onlyVoid = await t.http().get('/v1/invoices').query({ subscriptionId: a.subscriptionId, status: 'void' });
      expect(onlyVoid.body.data.map((i: any) => i.id)).toEqual([oldest.id]);
      const finalized = await t.http().get('/v1/invoices').query({ subscriptionId: a.subscriptionId, status: 'finalized' });
      expect(finalized.body.data).toHaveLength(4);

      const late = await usage(a.subscriptionId, a.features[0], oldest.periodStart).expect(409);
      expect(late.body.code).toBe('period_closed');
      await rollup();
      expect(await invoicesOf(t.baseUrl, a.subscriptionId)).toHaveLength(5);
    });
  });

  describe('cancellation', () => {
    it('cancel now: no usage after, a last short period with the base fee prorated to the second, nothing after', async () => {
      const start = Date.now() - DAY_MS - 12 * HOUR_MS;
      const sub = await billedSubscription(t.baseUrl, {
        startAt: iso(start),
        interval: 'day',
        baseFee: '24',
        charges: [{ pricing: { model: 'per_unit', unitPrice: '1' } }],
      });
      const [calls] = sub.features;
      await usage(sub.subscriptionId, calls, undefined, 5).expect(201);

      const cancelled = await t.http().post(`/v1/subscriptions/${sub.subscriptionId}/cancel`).send({ at: 'now' }).expect(200);
      expect(cancelled.body).toMatchObject({ id: sub.subscriptionId, status: 'ended', endsAt: expect.any(String) });
      const endsAt = new Date(cancelled.body.endsAt).getTime();
      expect(Math.abs(endsAt - Date.now())).toBeLessThan(5000);
      expect((await usage(sub.subscriptionId, calls).expect(409)).body.code).toBe('period_closed');

      await rollup();
      const [last, first, ...none] = await invoicesOf(t.baseUrl, sub.subscriptionId);
      expect(none).toEqual([]);
      expect([first.periodStart, first.periodEnd, first.total]).toEqual([iso(start), iso(start + DAY_MS), '24.00']);
      const seconds = Math.floor((endsAt - (start + DAY_MS)) / 1000);
      const prorated = new Decimal(24).times(seconds).div(86_400).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
      expect(last).toMatchObject({
        periodStart: iso(start + DAY_MS),
        periodEnd: iso(endsAt),
        lines: [
          { type: 'base_fee', amount: prorated },
          { type: 'usage', feature: calls, quantity: 5, amount: '5.00' },
        ],
        total: new Decimal(prorated).plus(5).toFixed(2),
      });

      await rollup();
      expect(await invoicesOf(t.baseUrl, sub.subscriptionId)).toHaveLength(2);
      const twice = await t.http().post(`/v1/subscriptions/${sub.subscriptionId}/cancel`).send({ at: 'now' }).expect(409);
      expect(twice.body).toMatchObject({ code: 'conflict', endsAt: cancelled.body.endsAt });
    });

    it('cancel at period end: usage until then, one last full period, nothing after', async () => {
      // The current daily period ends in 2.5 seconds.
      const start = Date.now() - DAY_MS + 2500;
      const sub = await billedSubscription(t.baseUrl, {
        startAt: iso(start),
        interval: 'day',
        baseFee: '2',
        charges: [{ strategy: 'pessimistic', pricing: { model: 'per_unit', unitPrice: '1' } }],
      });
      const [calls] = sub.features;
      const cancelled = await t
        .http()
        .post(`/v1/subscriptions/${sub.subscriptionId}/cancel`)
        .send({ at: 'period_end' })
        .expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', endsAt: iso(start + DAY_MS), currentPeriodEnd: iso(start + DAY_MS) });
      await usage(sub.subscriptionId, calls, undefined, 3).expect(201);

      await sleep(start + DAY_MS - Date.now() + 50);
      expect((await usage(sub.subscriptionId, calls).expect(409)).body.code).toBe('period_closed');
      await rollup();
      await rollup();
      const invoices = await invoicesOf(t.baseUrl, sub.subscriptionId);
      expect(invoices.map((i) => [i.periodStart, i.periodEnd, quantityOn(i, calls), i.total])).toEqual([
        [iso(start), iso(start + DAY_MS), 3, '5.00'],
      ]);
      expect((await t.http().get(`/v1/subscriptions/${sub.subscriptionId}`).expect(200)).body.status).toBe('ended');
    });

    it('refuses a missing or unknown `at`, and an unknown subscription', async () => {
      const sub = await billedSubscription(t.baseUrl, { startAt: iso(Date.now()), charges: [] });
      for (const body of [{}, { at: 'later' }, { at: 'now', extra: 1 }]) {
        const res = await t.http().post(`/v1/subscriptions/${sub.subscriptionId}/cancel`).send(body).expect(400);
        expect(res.body).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/at|extra/) });
      }
      await t.http().post('/v1/subscriptions/00000000-0000-4000-8000-000000000000/cancel').send({ at: 'now' }).expect(404);
      expect((await t.http().get(`/v1/subscriptions/${sub.subscriptionId}`)).body.endsAt).toBeNull();
    });
  });
});
