import request from 'supertest';
import { DAY_MS, billedSubscription, iso, unique } from './fixtures';

/** The path of a portal link (`/portal/<token>`, after any PUBLIC_URL prefix): tests open it on their own app's address. */
export const portalPath = (url: string) => {
  const path = new URL(url).pathname;
  return path.slice(path.indexOf('/portal/'));
};

/** A new portal link of the customer, through the API. */
export async function portalLink(baseUrl: string, externalId: string, body: object = {}): Promise<{ url: string; path: string; token: string }> {
  const res = await request(baseUrl).post(`/v1/customers/${encodeURIComponent(externalId)}/portal-sessions`).send(body).expect(201);
  const path = portalPath(res.body.url);
  return { url: res.body.url, path, token: path.split('/').pop()! };
}

/**
 * A customer as the page shows one: `name`, a plan with a base fee and three metered features
 * (one near its limit, one at it, one unlimited) started 10 days ago, with usage spread over the
 * days since, and one more subscription on a second plan.
 */
export async function portalCustomer(baseUrl: string, name: string) {
  const http = () => request(baseUrl);
  const externalId = unique('portal-customer');
  await http().post('/v1/customers').send({ externalId, name }).expect(201);
  const startAt = iso(Date.now() - 10 * DAY_MS);
  const first = await billedSubscription(baseUrl, {
    customerExternalId: externalId,
    startAt,
    baseFee: '49',
    charges: [
      { limit: 100, pricing: { model: 'per_unit', unitPrice: '0.25' } },
      { limit: 40, pricing: { model: 'per_unit', unitPrice: '1.10' } },
      { limit: null, pricing: { model: 'per_unit', unitPrice: '0.002' } },
    ],
  });
  const second = await billedSubscription(baseUrl, {
    customerExternalId: externalId,
    startAt,
    baseFee: '10',
    charges: [{ limit: 1000, pricing: { model: 'per_unit', unitPrice: '0.01' } }],
  });
  const record = (subscriptionId: string, feature: string, quantity: number, daysAgo: number) =>
    http()
      .post('/v1/usage')
      .send({ subscriptionId, feature, quantity, occurredAt: iso(Date.now() - daysAgo * DAY_MS) })
      .expect(201);
  // 85 of 100: near the limit; 40 of 40: at it; 12,345 of unlimited.
  for (const [quantity, daysAgo] of [[30, 6], [25, 3], [30, 0]]) await record(first.subscriptionId, first.features[0], quantity, daysAgo);
  for (const [quantity, daysAgo] of [[15, 8], [25, 1]]) await record(first.subscriptionId, first.features[1], quantity, daysAgo);
  for (const [quantity, daysAgo] of [[12_000, 5], [345, 2]]) await record(first.subscriptionId, first.features[2], quantity, daysAgo);
  await record(second.subscriptionId, second.features[0], 120, 4);
  return { externalId, subscriptions: [first, second] };
}
