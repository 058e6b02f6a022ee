import { burst } from './concurrent';
import { meteredSubscription } from './fixtures';
import { Answer, statusCounts } from './http';
import { totals } from './test-database';

/**
 * The exactness checks of issue 2, shared by the one-instance and the two-instance suites.
 * `urls` are the instances' base URLs (requests alternate between them); `databaseUrl` is the
 * database they share, read directly to compare the counter and the ledger with the answers.
 */
export interface Target {
  urls: string[];
  databaseUrl: string;
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
export const sortedNumbers = (values: number[]) => [...values].sort((a, b) => a - b);

/** Only 201, 429 and (for the optimistic strategy, which may give up) 503 contention are allowed. */
function expectOnlyAllowedStatuses(answers: Answer[], strategy: string): void {
  const allowed = strategy === 'optimistic' ? [201, 429, 503] : [201, 429];
  const unexpected = answers.filter((a) => !allowed.includes(a.status));
  // Show the first odd answer in full rather than a bare count: a 500 should say what it was.
  expect(unexpected.slice(0, 1)).toEqual([]);
  for (const a of answers.filter((x) => x.status === 503)) {
    expect(a.body).toMatchObject({ statusCode: 503, code: 'contention' });
    expect(a.headers['retry-after']).toBeDefined();
  }
}

/** 200 concurrent requests of quantity 1 against a limit of 100: exactly 100 counted. */
export async function limitHolds(target: Target, strategy: string): Promise<void> {
  const m = await meteredSubscription(target.urls[0], { strategy, limit: 100 });
  const body = { subscriptionId: m.subscriptionId, feature: m.feature, quantity: 1 };
  const answers = await burst(target.urls, '/v1/usage', Array.from({ length: 200 }, () => body));

  expectOnlyAllowedStatuses(answers, strategy);
  const accepted = answers.filter((a) => a.status === 201);
  const refused = answers.filter((a) => a.status === 429);
  // The optimistic strategy may answer 503 instead of 429 to a request that gave up, but never
  // in place of a 201: while there is room, retries must end in a count.
  expect(statusCounts(answers)).toMatchObject({ 201: 100 });
  if (strategy !== 'optimistic') expect(statusCounts(answers)).toEqual({ 201: 100, 429: 100 });

  // Each accepted request saw its own count: the answers' `used` are exactly 1..100, no repeats.
  expect(sortedNumbers(accepted.map((a) => a.body.used))).toEqual(range(1, 100));
  const { periodStart, periodEnd } = accepted[0].body;
  for (const a of accepted) {
    expect(a.body).toEqual({
      accepted: true,
      duplicate: false,
      feature: m.feature,
      used: a.body.used,
      limit: 100,
      remaining: 100 - a.body.used,
      periodStart,
      periodEnd,
    });
  }
  // A refusal happens only once the limit is reached, so every 429 reports a full counter.
  for (const r of refused) {
    expect(r.body).toMatchObject({ statusCode: 429, code: 'limit_exceeded', used: 100, limit: 100 });
  }

  const state = await totals(target.databaseUrl, m.subscriptionId);
  expect(state.counters).toBe(1);
  expect(state).toMatchObject({ used: 100, events: 100, quantity: 100 });
}

/** 200 concurrent requests with no limit: every one counted, none lost. */
export async function noLostUpdate(target: Target, strategy: string): Promise<void> {
  const m = await meteredSubscription(target.urls[0], { strategy, limit: null });
  const body = { subscriptionId: m.subscriptionId, feature: m.feature };
  const answers = await burst(target.urls, '/v1/usage', Array.from({ length: 200 }, () => body));

  expectOnlyAllowedStatuses(answers, strategy);
  // Issue 2 asks for "counter 200" of every strategy: with no limit, every request must be counted.
  expect(statusCounts(answers)).toEqual({ 201: 200 });
  const accepted = answers.filter((a) => a.status === 201);
  expect(sortedNumbers(accepted.map((a) => a.body.used))).toEqual(range(1, 200));
  for (const a of accepted) expect(a.body).toMatchObject({ limit: null, remaining: null, duplicate: false });

  const state = await totals(target.databaseUrl, m.subscriptionId);
  expect(state.counters).toBe(1);
  expect(state).toMatchObject({ used: 200, events: 200, quantity: 200 });
}

/**
 * 50 concurrent repeats of one idempotency key: counted once; the first answer is 201, every
 * other one 200 duplicate:true with the very same figures.
 */
export async function countedOnce(target: Target, strategy: string, limit: number | null): Promise<void> {
  const m = await meteredSubscription(target.urls[0], { strategy, limit });
  const body = { subscriptionId: m.subscriptionId, feature: m.feature, idempotencyKey: 'order-42' };
  const answers = await burst(target.urls, '/v1/usage', Array.from({ length: 50 }, () => body));

  // A repeat is never refused for the limit it used up itself, and never contended: only 201 and 200.
  expect(statusCounts(answers)).toEqual({ 201: 1, 200: 49 });
  const figures = {
    accepted: true,
    feature: m.feature,
    used: 1,
    limit,
    remaining: limit === null ? null : limit - 1,
    periodStart: answers.find((a) => a.status === 201)!.body.periodStart,
    periodEnd: answers.find((a) => a.status === 201)!.body.periodEnd,
  };
  for (const a of answers) expect(a.body).toEqual({ ...figures, duplicate: a.status === 200 });

  const state = await totals(target.databaseUrl, m.subscriptionId);
  expect(state).toMatchObject({ used: 1, events: 1, quantity: 1 });
}

/**
 * Concurrent requests of mixed quantities: the limit is never passed, the counter, the ledger and
 * the accepted answers agree, and no request was refused while there was room for it.
 */
export async function mixedQuantities(target: Target, strategy: string, quantities: number[], limit: number) {
  const m = await meteredSubscription(target.urls[0], { strategy, limit });
  const bodies = quantities.map((quantity) => ({ subscriptionId: m.subscriptionId, feature: m.feature, quantity }));
  const answers = await burst(target.urls, '/v1/usage', bodies);

  expectOnlyAllowedStatuses(answers, strategy);
  const acceptedQuantity = quantities.filter((_, i) => answers[i].status === 201).reduce((a, b) => a + b, 0);
  const state = await totals(target.databaseUrl, m.subscriptionId);
  expect(state.used).toBeLessThanOrEqual(limit);
  expect(state).toMatchObject({ used: acceptedQuantity, quantity: acceptedQuantity });
  expect(state.events).toBe(answers.filter((a) => a.status === 201).length);

  answers.forEach((a, i) => {
    if (a.status === 201) {
      expect(a.body.used).toBeLessThanOrEqual(limit);
      expect(a.body.remaining).toBe(limit - a.body.used);
    }
    if (a.status === 429) {
      // Counts only grow, so a request refused at some point must still not fit at the end.
      expect(a.body).toMatchObject({ code: 'limit_exceeded', limit });
      expect(a.body.used + quantities[i]).toBeGreaterThan(limit);
      expect(state.used + quantities[i]).toBeGreaterThan(limit);
    }
  });
  // The accepted answers' `used` values are the running totals of one serial order.
  const usedValues = sortedNumbers(answers.filter((a) => a.status === 201).map((a) => a.body.used));
  expect(new Set(usedValues).size).toBe(usedValues.length);
  expect(usedValues.at(-1) ?? 0).toBe(state.used);
  return { answers, state, subscriptionId: m.subscriptionId };
}
