import request from 'supertest';
import { unique } from './fixtures';

export interface ChargeSpec {
  strategy?: 'atomic' | 'pessimistic' | 'optimistic' | 'buffered';
  limit?: number | null;
  pricing?: object;
}

export interface Billed {
  subscriptionId: string;
  customerExternalId: string;
  planKey: string;
  /** Feature keys, in the order of the plan's charges. */
  features: string[];
}

export const DAY_MS = 86_400_000;
export const iso = (ms: number | Date) => new Date(ms).toISOString();

/**
 * Through the API: one feature per charge (with its strategy), a plan with those charges, base fee
 * and currency, a customer (or `customerExternalId`, reused) and a subscription starting at `startAt`.
 */
export async function billedSubscription(
  baseUrl: string,
  options: {
    charges: ChargeSpec[];
    startAt: string;
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
    .send({ customerExternalId, planKey, startAt: options.startAt })
    .expect(201);
  return { subscriptionId: sub.body.id, customerExternalId, planKey, features };
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

/** Runs `tasks` with at most `concurrency` in flight; results in the order of `tasks`. */
export async function pool<T>(concurrency: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}
