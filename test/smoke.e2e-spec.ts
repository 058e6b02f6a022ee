import { meteredSubscription } from './support/fixtures';
import { TestApp, createTestApp } from './support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each(['atomic', 'pessimistic', 'optimistic', 'buffered'])('records usage with %s', async (strategy) => {
    const m = await meteredSubscription(t.baseUrl, { strategy, limit: 2 });
    const first = await t.http().post('/v1/usage').send({ subscriptionId: m.subscriptionId, feature: m.feature, idempotencyKey: 'a' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ accepted: true, duplicate: false, used: 1, limit: 2, remaining: 1 });
    const again = await t.http().post('/v1/usage').send({ subscriptionId: m.subscriptionId, feature: m.feature, idempotencyKey: 'a' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, used: 1 });
    const two = await t.http().post('/v1/usage').send({ subscriptionId: m.subscriptionId, feature: m.feature, quantity: 2 });
    expect(two.status).toBe(429);
    expect(two.body).toMatchObject({ code: 'limit_exceeded', used: 1, limit: 2 });
    const usage = await t.http().get(`/v1/subscriptions/${m.subscriptionId}/usage`);
    expect(usage.body.features).toEqual([{ feature: m.feature, used: 1, limit: 2, remaining: 1 }]);
  });
});
