import { randomBytes } from 'node:crypto';
import request from 'supertest';

export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const iso = (ms: number | Date) => new Date(ms).toISOString();

export interface ChargeSpec {
  strategy?: string;
  limit?: number | null;
  pricing?: object;
  alerts?: object[];
}

export interface Billed {
  subscriptionId: string;
  customerExternalId: string;
  planKey: string;
  /** Feature keys, in the order of the plan's charges. */
  features: string[];
}

/**
 * Through the API: one feature per charge (with its strategy), a plan with those charges, base fee
 * and currency, a customer (or `customerExternalId`, reused) and a subscription to the plan,
 * starting at `startAt` (default now).
 */
export async function billedSubscription(
  baseUrl: string,
  options: {
    charges: ChargeSpec[];
    startAt?: string;
    baseFee?: string;
    currency?: string;
    interval?: 'day' | 'week' | 'month' | 'year';
    customerExternalId?: string;
  },
): Promise<Billed> {
  const http = () => request(baseUrl);
  const features: string[] = [];
  for (const charge of options.charges) {
    const key = unique('feature');
    await http()
      .post('/v1/features')
      .send({ key, name: key, strategy: charge.strategy ?? 'atomic' })
      .expect(201);
    features.push(key);
  }
  const planKey = unique('plan');
  await http()
    .post('/v1/plans')
    .send({
      key: planKey,
      name: 'Plan',
      currency: options.currency ?? 'USD',
      interval: options.interval ?? 'month',
      ...(options.baseFee !== undefined ? { baseFee: options.baseFee } : {}),
      charges: options.charges.map((charge, i) => ({
        feature: features[i],
        limit: charge.limit ?? null,
        ...(charge.pricing ? { pricing: charge.pricing } : {}),
        ...(charge.alerts ? { alerts: charge.alerts } : {}),
      })),
    })
    .expect(201);
  let customerExternalId = options.customerExternalId;
  if (!customerExternalId) {
    customerExternalId = unique('customer');
    await http().post('/v1/customers').send({ externalId: customerExternalId, name: 'Customer' }).expect(201);
  }
  const sub = await http()
    .post('/v1/subscriptions')
    .send({ customerExternalId, planKey, ...(options.startAt ? { startAt: options.startAt } : {}) })
    .expect(201);
  return { subscriptionId: sub.body.id, customerExternalId, planKey, features };
}

export interface Metered extends Billed {
  /** The one feature. */
  feature: string;
}

/** A billedSubscription with one charge: a feature counted with `strategy`, up to `limit`. */
export async function meteredSubscription(
  baseUrl: string,
  options: ChargeSpec & { interval?: 'day' | 'week' | 'month' | 'year'; startAt?: string } = {},
): Promise<Metered> {
  const { strategy, limit, pricing, alerts, ...subscription } = options;
  const billed = await billedSubscription(baseUrl, { ...subscription, charges: [{ strategy, limit, pricing, alerts }] });
  return { ...billed, feature: billed.features[0] };
}

/** Every invoice of a subscription, newest period first (all pages). */
export async function invoicesOf(baseUrl: string, subscriptionId: string): Promise<any[]> {
  const all: any[] = [];
  let cursor: string | null = null;
  do {
    const page: request.Response = await request(baseUrl)
      .get('/v1/invoices')
      .query({ subscriptionId, limit: 100, ...(cursor ? { cursor } : {}) })
      .expect(200);
    all.push(...page.body.data);
    cursor = page.body.nextCursor;
  } while (cursor);
  return all;
}

/** The quantity of `feature` on an invoice (usage lines only). */
export const quantityOn = (invoice: any, feature: string): number =>
  invoice.lines.find((line: any) => line.type === 'usage' && line.feature === feature)?.quantity;
