import { inPool } from './support/concurrent';
import { DAY_MS, billedSubscription, invoicesOf, iso, quantityOn } from './support/fixtures';
import { TestApp, createTestApp } from './support/test-app';
import { sql } from './support/test-database';

const ROUNDS = 4;
const EVENTS = 120;
const CONCURRENCY = 12;
/** The rollup is fired once this many answers are back, while the rest are in flight or queued. */
const CLOSE_AFTER = 30;

describe('usage racing the close of its period', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { billingRollupCron: null } });
  });
  afterAll(() => t.close());

  // Buffered counts are included: they are in the ledger before their 201, though not yet in the counter.
  it('is either on the invoice or answered 409, never neither, for every strategy', async () => {
    let raced = 0;
    let accepted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const start = Date.now() - DAY_MS - 60_000; // its first daily period ended a minute ago
      const sub = await billedSubscription(t.baseUrl, {
        startAt: iso(start),
        interval: 'day',
        charges: ['atomic', 'pessimistic', 'optimistic', 'buffered'].map((strategy) => ({
          strategy,
          pricing: { model: 'per_unit', unitPrice: '1' },
        })),
      });

      let answered = 0;
      let close: Promise<any> | undefined;
      const events = Array.from({ length: EVENTS }, (_, i) => ({
        feature: sub.features[i % sub.features.length],
        quantity: 1 + (i % 4),
        occurredAt: iso(start + 1000 + i),
      }));
      const answers = await inPool(events, CONCURRENCY, async (event) => {
        const res = await t.http().post('/v1/usage').send({ subscriptionId: sub.subscriptionId, ...event });
        if (++answered === CLOSE_AFTER) close = t.http().post('/v1/billing/rollups').send({}).then((r) => r);
        return res;
      });
      const run = await close!;
      expect(run.status).toBe(200);

      const countedByFeature = new Map(sub.features.map((f) => [f, 0]));
      answers.forEach((res, i) => {
        // 503 is the optimistic strategy giving up under contention: nothing counted, and said so.
        expect([201, 409, 503]).toContain(res.status);
        if (res.status === 409) expect(res.body.code).toBe('period_closed');
        if (res.status === 201) {
          countedByFeature.set(events[i].feature, countedByFeature.get(events[i].feature)! + events[i].quantity);
          accepted++;
        }
        if (res.status === 409) raced++;
      });

      const [invoice, ...more] = await invoicesOf(t.baseUrl, sub.subscriptionId);
      expect(more).toEqual([]);
      const ledger = await sql(
        t.databaseUrl,
        `SELECT f.key, sum(e.quantity)::int AS quantity FROM usage_events e JOIN features f ON f.id = e.feature_id
          WHERE e.subscription_id = $1 GROUP BY f.key`,
        [sub.subscriptionId],
      );
      for (const feature of sub.features) {
        expect(quantityOn(invoice, feature)).toBe(countedByFeature.get(feature));
        expect(ledger.find((r) => r.key === feature)?.quantity ?? 0).toBe(countedByFeature.get(feature));
      }
      // After the close, nothing more gets in.
      const late = await t.http().post('/v1/usage').send({ subscriptionId: sub.subscriptionId, ...events[0] });
      expect(late.status).toBe(409);
    }
    // The race really happened: events were accepted before the close and refused after it.
    expect(accepted).toBeGreaterThan(ROUNDS * CLOSE_AFTER - 1);
    expect(raced).toBeGreaterThan(0);
  });
});
