import { randomBytes } from 'node:crypto';
import request from 'supertest';

export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export interface Metered {
  subscriptionId: string;
  feature: string;
  planKey: string;
  customerExternalId: string;
}

/**
 * Creates, through the API, a feature with `strategy`, a plan charging it with `limit`, a customer
 * and a subscription to the plan.
 */
export async function meteredSubscription(
  baseUrl: string,
  options: { strategy?: string; limit?: number | null; interval?: string; startAt?: string; pricing?: object } = {},
): Promise<Metered> {
  const http = () => request(baseUrl);
  const feature = unique('feature');
  const planKey = unique('plan');
  const customerExternalId = unique('customer');
  await http()
    .post('/v1/features')
    .send({ key: feature, name: 'Feature', strategy: options.strategy ?? 'atomic' })
    .expect(201);
  await http()
    .post('/v1/plans')
    .send({
      key: planKey,
      name: 'Plan',
      currency: 'USD',
      interval: options.interval ?? 'month',
      charges: [{ feature, limit: options.limit ?? null, ...(options.pricing ? { pricing: options.pricing } : {}) }],
    })
    .expect(201);
  await http().post('/v1/customers').send({ externalId: customerExternalId, name: 'Customer' }).expect(201);
  const sub = await http()
    .post('/v1/subscriptions')
    .send({ customerExternalId, planKey, ...(options.startAt ? { startAt: options.startAt } : {}) })
    .expect(201);
  return { subscriptionId: sub.body.id, feature, planKey, customerExternalId };
}
