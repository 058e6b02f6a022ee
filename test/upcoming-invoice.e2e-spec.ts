import { clockAt } from './support/clock';
import { unique } from './support/fixtures';
import { TestApp, createTestApp } from './support/test-app';
import { sql } from './support/test-database';

/**
 * GET /v1/subscriptions/:id/upcoming-invoice (issue 11): what the rollup would invoice for the
 * running period if it ended now. The app's clock is set (support/clock) to look at a period, then
 * moved past its end to let the rollup invoice it, with no usage in between: the two must agree.
 */
const START = '2025-01-10T00:00:00.000Z';

describe('the upcoming invoice', () => {
  let t: TestApp;
  let features: Record<'perUnit' | 'graduated' | 'volume' | 'package', string>;
  let plan: string;
  let other: string;

  const post = (path: string, body: object) => t.http().post(path).send(body);
  const upcoming = (id: string) => t.http().get(`/v1/subscriptions/${id}/upcoming-invoice`);
  const invoiceOf = async (id: string, periodStart: string) => {
    const page = await t.http().get('/v1/invoices').query({ subscriptionId: id, limit: 100 }).expect(200);
    return page.body.data.find((i: any) => i.periodStart === periodStart);
  };
  /** The invoice without what only a stored one has. */
  const asUpcoming = ({ id, status, ...rest }: any) => ({ ...rest, status: 'upcoming' });

  async function subscribe(planKey: string): Promise<string> {
    const customer = unique('customer');
    await post('/v1/customers', { externalId: customer, name: 'Customer' }).expect(201);
    return (await post('/v1/subscriptions', { customerExternalId: customer, planKey, startAt: START }).expect(201)).body.id;
  }

  beforeAll(async () => {
    // A long flush interval: the buffered feature's counts are still unflushed when the upcoming invoice is read.
    t = await createTestApp({ config: { usageFlushIntervalMs: 600_000 } });
    const feature = async (strategy: string) => {
      const key = unique(strategy);
      await post('/v1/features', { key, name: key, strategy }).expect(201);
      return key;
    };
    features = {
      perUnit: await feature('atomic'),
      graduated: await feature('pessimistic'),
      volume: await feature('optimistic'),
      package: await feature('buffered'),
    };
    const tiers = [
      { upTo: 100, unitPrice: '0.10', flatFee: '1' },
      { upTo: null, unitPrice: '0.05' },
    ];
    const charges = [
      { feature: features.perUnit, limit: 1000, pricing: { model: 'per_unit', unitPrice: '0.0125' } },
      { feature: features.graduated, limit: null, pricing: { model: 'graduated', tiers } },
      { feature: features.volume, limit: null, pricing: { model: 'volume', tiers } },
      { feature: features.package, limit: 500, pricing: { model: 'package', packageSize: 50, packagePrice: '4.99' } },
    ];
    plan = unique('plan');
    await post('/v1/plans', { key: plan, name: 'Plan', currency: 'USD', interval: 'month', baseFee: '49.99', charges }).expect(201);
    other = unique('plan');
    await post('/v1/plans', { key: other, name: 'Other', currency: 'USD', interval: 'month', baseFee: '99', charges }).expect(201);
  });
  afterEach(() => jest.useRealTimers());
  afterAll(() => t.close());

  async function someUsage(id: string, day: string) {
    const quantities = { perUnit: 333, graduated: 130, volume: 101, package: 77 };
    for (const [name, quantity] of Object.entries(quantities)) {
      await post('/v1/usage', { subscriptionId: id, feature: features[name as keyof typeof features], quantity, occurredAt: day }).expect(201);
    }
  }

  it('equals the rollup\'s invoice of the period when no usage happens in between: lines and total', async () => {
    const id = await subscribe(plan);
    clockAt('2025-02-20T00:00:00.000Z');
    await someUsage(id, '2025-02-15T00:00:00Z');
    const seen = await upcoming(id).expect(200);
    expect(seen.body).toMatchObject({
      subscriptionId: id,
      status: 'upcoming',
      periodStart: '2025-02-10T00:00:00.000Z',
      periodEnd: '2025-03-10T00:00:00.000Z',
      currency: 'USD',
    });
    expect(seen.body).not.toHaveProperty('id');
    // The buffered feature's 77 are on the invoice while its counter row has not been flushed.
    const [row] = await sql(
      t.databaseUrl,
      `SELECT c.used::int FROM usage_counters c JOIN features f ON f.id = c.feature_id WHERE c.subscription_id = $1 AND f.key = $2`,
      [id, features.package],
    );
    expect(row.used).toBe(0);
    expect(seen.body.lines).toContainEqual({ type: 'usage', feature: features.package, quantity: 77, amount: '9.98' });

    clockAt('2025-03-12T00:00:00.000Z');
    await post('/v1/billing/rollups', { asOf: '2025-03-11T00:00:00.000Z' }).expect(200);
    const invoice = await invoiceOf(id, '2025-02-10T00:00:00.000Z');
    expect(asUpcoming(invoice)).toEqual(seen.body);
    // The base fee in full, then per_unit 333 × 0.0125 = 4.1625 → 4.16; graduated 130: 100 × 0.10
    // + 1 flat + 30 × 0.05 = 12.50; volume 101 (second tier): 101 × 0.05 = 5.05; package 77 in 50s:
    // 2 × 4.99 = 9.98.
    expect(invoice.lines.map((l: any) => l.amount)).toEqual(['49.99', '4.16', '12.50', '5.05', '9.98']);

    // Next: the following period, nothing used yet.
    expect((await upcoming(id).expect(200)).body).toMatchObject({ periodStart: '2025-03-10T00:00:00.000Z', total: '49.99' });
  });

  it('after a change "now", is the new part as the rollup will bill it', async () => {
    const id = await subscribe(plan);
    clockAt('2025-02-20T12:00:00.000Z');
    await post(`/v1/subscriptions/${id}/change-plan`, { planKey: other, at: 'now' }).expect(200);
    clockAt('2025-03-01T00:00:00.000Z');
    await someUsage(id, '2025-02-25T00:00:00Z');
    const seen = await upcoming(id).expect(200);
    // 99 × 1,512,000 s / 2,419,200 s = 61.875 → 61.88 (half up).
    expect(seen.body).toMatchObject({ periodStart: '2025-02-20T12:00:00.000Z', periodEnd: '2025-03-10T00:00:00.000Z' });
    expect(seen.body.lines[0]).toEqual({ type: 'base_fee', amount: '61.88' });

    clockAt('2025-03-12T00:00:00.000Z');
    await post('/v1/billing/rollups', { asOf: '2025-03-11T00:00:00.000Z' }).expect(200);
    expect(asUpcoming(await invoiceOf(id, '2025-02-20T12:00:00.000Z'))).toEqual(seen.body);
  });

  it('is 404 for an unknown subscription and 409 for an ended one', async () => {
    await upcoming('00000000-0000-0000-0000-000000000001').expect(404);
    await upcoming('not-a-uuid').expect(404);
    const id = await subscribe(plan);
    await post(`/v1/subscriptions/${id}/cancel`, { at: 'now' }).expect(200);
    expect((await upcoming(id).expect(409)).body).toMatchObject({ code: 'conflict' });
  });
});
