import { setTimeout as sleep } from 'node:timers/promises';
import { burst } from './support/concurrent';
import { DAY_MS, iso, meteredSubscription } from './support/fixtures';
import { send, statusCounts } from './support/http';
import { TestApp, createTestApp } from './support/test-app';
import { sql, totals } from './support/test-database';

/**
 * Reservations and entitlement checks (issue 13), through HTTP against real PostgreSQL, on one
 * instance and on two instances sharing one database (requests alternate between them).
 */

const STRATEGIES = ['atomic', 'pessimistic', 'optimistic', 'buffered'];

/** The counter row and the ledger of a subscription: used includes what buffered leases spent, unflushed. */
async function counterState(databaseUrl: string, subscriptionId: string) {
  const [row] = await sql(
    databaseUrl,
    `SELECT (c.used + coalesce((SELECT sum(spent) FROM usage_leases l WHERE l.subscription_id = c.subscription_id
                                   AND l.feature_id = c.feature_id AND l.period_start = c.period_start), 0))::float8 AS used,
            c.held::float8 AS held, c."limit"::float8 AS "limit",
            (SELECT coalesce(sum(quantity), 0)::float8 FROM usage_events e WHERE e.subscription_id = c.subscription_id) AS ledger,
            (SELECT coalesce(sum(quantity), 0)::float8 FROM reservations r
              WHERE r.subscription_id = c.subscription_id AND r.status = 'held') AS reserved_rows
       FROM usage_counters c WHERE c.subscription_id = $1`,
    [subscriptionId],
  );
  return row as { used: number; held: number; limit: number; ledger: number; reserved_rows: number };
}

const entitlementOf = async (url: string, subscriptionId: string) => {
  const res = await send(url, 'GET', `/v1/subscriptions/${subscriptionId}/entitlements`);
  expect(res.status).toBe(200);
  return res.body.features[0];
};

describe.each([1, 2])('reservations, %i instance(s) on one database', (n) => {
  const apps: TestApp[] = [];
  let urls: string[];
  let databaseUrl: string;
  beforeAll(async () => {
    apps.push(await createTestApp());
    if (n === 2) apps.push(await createTestApp({ databaseUrl: apps[0].databaseUrl }));
    urls = apps.map((a) => a.baseUrl);
    databaseUrl = apps[0].databaseUrl;
  });
  afterAll(async () => {
    for (const app of [...apps].reverse()) await app.close();
  });

  describe.each(STRATEGIES)('%s', (strategy) => {
    it('100 concurrent reservations of 10 against 500: 50 held, 50 refused; 25 committed with 4, the rest released → used 100, held 0', async () => {
      const m = await meteredSubscription(urls[0], { strategy, limit: 500 });
      const body = { subscriptionId: m.subscriptionId, feature: m.feature, quantity: 10 };
      const answers = await burst(urls, '/v1/reservations', Array.from({ length: 100 }, () => body));

      expect(statusCounts(answers)).toEqual({ 201: 50, 429: 50 });
      for (const a of answers.filter((x) => x.status === 201)) {
        expect(a.body).toMatchObject({ subscriptionId: m.subscriptionId, feature: m.feature, quantity: 10, status: 'held', limit: 500 });
        expect(a.body.used + a.body.held).toBeLessThanOrEqual(500);
        expect(a.body.remaining).toBe(500 - a.body.used - a.body.held);
      }
      for (const r of answers.filter((x) => x.status === 429)) {
        expect(r.body).toMatchObject({ statusCode: 429, code: 'limit_exceeded', used: 0, held: 500, limit: 500, remaining: 0 });
      }
      expect(await counterState(databaseUrl, m.subscriptionId)).toMatchObject({ used: 0, held: 500, ledger: 0, reserved_rows: 500 });

      const held = answers.filter((a) => a.status === 201).map((a) => a.body.id as string);
      const [commits, releases] = await Promise.all([
        Promise.all(held.slice(0, 25).map((id, i) => send(urls[i % n], 'POST', `/v1/reservations/${id}/commit`, { quantity: 4 }))),
        Promise.all(held.slice(25).map((id, i) => send(urls[i % n], 'POST', `/v1/reservations/${id}/release`))),
      ]);
      expect(statusCounts(commits)).toEqual({ 201: 25 });
      for (const [i, c] of commits.entries()) {
        expect(c.body).toMatchObject({ accepted: true, duplicate: false, feature: m.feature, limit: 500, reservationId: held[i] });
        expect(c.body.remaining).toBe(500 - c.body.used);
      }
      expect(statusCounts(releases)).toEqual({ 200: 25 });
      for (const r of releases) expect(r.body).toMatchObject({ status: 'released', quantity: 10 });

      // The ledger and the counter agree; nothing is held or leased any more.
      expect(await counterState(databaseUrl, m.subscriptionId)).toEqual({ used: 100, held: 0, limit: 500, ledger: 100, reserved_rows: 0 });
      expect(await totals(databaseUrl, m.subscriptionId)).toMatchObject({ used: 100, events: 25, quantity: 100 });
      for (const url of urls) {
        expect(await entitlementOf(url, m.subscriptionId)).toEqual({
          feature: m.feature,
          hasAccess: true,
          used: 100,
          held: 0,
          limit: 500,
          remaining: 400,
        });
      }
      const [one] = await sql(databaseUrl, `SELECT status, committed_quantity::int AS q FROM reservations WHERE id = $1`, [held[0]]);
      expect(one).toEqual({ status: 'committed', q: 4 });
    });

    it('usage events and reservations at once on one counter: used + held never passes the limit, every 429 right', async () => {
      const limit = 300;
      const m = await meteredSubscription(urls[0], { strategy, limit });
      const target = { subscriptionId: m.subscriptionId, feature: m.feature };
      // Held before the run, so that every event has to count what reservations hold.
      const before = await burst(urls, '/v1/reservations', Array.from({ length: 12 }, () => ({ ...target, quantity: 10 })));
      expect(statusCounts(before)).toEqual({ 201: 12 });
      // Quantities sum to well past the limit: 160 events of 1-3 (320) and 40 reservations of 5-9 (280).
      const events = Array.from({ length: 160 }, (_, i) => ({ ...target, quantity: 1 + (i % 3) }));
      const holds = Array.from({ length: 40 }, (_, i) => ({ ...target, quantity: 5 + (i % 5) }));

      // Sample while the requests run, from the database and from the entitlement checks.
      let running = true;
      const samples: number[] = [];
      const sampler = (async () => {
        for (let i = 0; running; i++) {
          // No row until the first request made it.
          const state = await counterState(databaseUrl, m.subscriptionId);
          if (state) samples.push(state.used + state.held);
          const check = await send(urls[i % n], 'GET', `/v1/subscriptions/${m.subscriptionId}/entitlements/${m.feature}`);
          expect(check.status).toBe(200);
          samples.push(check.body.used + check.body.held);
          await sleep(2);
        }
      })();
      const [eventAnswers, holdAnswers] = await Promise.all([burst(urls, '/v1/usage', events), burst(urls, '/v1/reservations', holds)]);
      running = false;
      await sampler;

      const allowed = strategy === 'optimistic' ? [201, 429, 503] : [201, 429];
      expect([...eventAnswers, ...holdAnswers].filter((a) => !allowed.includes(a.status)).slice(0, 1)).toEqual([]);
      expect(holdAnswers.every((a) => a.status !== 503)).toBe(true);
      expect(samples.length).toBeGreaterThan(2);
      expect(Math.max(...samples)).toBeLessThanOrEqual(limit);

      const counted = events.filter((_, i) => eventAnswers[i].status === 201).reduce((sum, e) => sum + e.quantity, 0);
      const heldNow = 120 + holds.filter((_, i) => holdAnswers[i].status === 201).reduce((sum, h) => sum + h.quantity, 0);
      const state = await counterState(databaseUrl, m.subscriptionId);
      expect(state).toMatchObject({ used: counted, held: heldNow, ledger: counted, reserved_rows: heldNow });
      expect(state.used + state.held).toBeLessThanOrEqual(limit);
      // Nothing was released or committed during the run, so used + held only grew: a request
      // refused at some moment must still not fit at the end.
      const refused = [
        ...events.filter((_, i) => eventAnswers[i].status === 429),
        ...holds.filter((_, i) => holdAnswers[i].status === 429),
      ];
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(state.used + state.held + r.quantity).toBeGreaterThan(limit);
    });

    it('two concurrent commits → one usage event; commit or release after release → 409 reservation_closed', async () => {
      const m = await meteredSubscription(urls[0], { strategy, limit: 100 });
      const make = () => send(urls[0], 'POST', '/v1/reservations', { subscriptionId: m.subscriptionId, feature: m.feature, quantity: 10 });
      const first = (await make()).body.id;
      const commits = await Promise.all(urls.concat(urls).map((url) => send(url, 'POST', `/v1/reservations/${first}/commit`, { quantity: 7 })));
      expect(statusCounts(commits)).toEqual({ 201: 1, 200: commits.length - 1 });
      const original = commits.find((c) => c.status === 201)!.body;
      expect(original).toMatchObject({ accepted: true, duplicate: false, used: 7, limit: 100, remaining: 93, reservationId: first });
      for (const c of commits) expect(c.body).toEqual({ ...original, duplicate: c.status === 200 });
      expect(await totals(databaseUrl, m.subscriptionId)).toMatchObject({ events: 1, quantity: 7 });
      const [event] = await sql(databaseUrl, `SELECT occurred_at FROM usage_events WHERE subscription_id = $1`, [m.subscriptionId]);
      const got = await send(urls[n - 1], 'GET', `/v1/reservations/${first}`);
      expect(got.body).toMatchObject({ id: first, status: 'committed', quantity: 10, committedQuantity: 7 });
      // The event occurred when the quantity was first held.
      expect(new Date(event.occurred_at).toISOString()).toBe(got.body.createdAt);

      const second = (await make()).body.id;
      expect((await send(urls[n - 1], 'POST', `/v1/reservations/${second}/release`)).body).toMatchObject({ status: 'released' });
      // A repeated release is answered the same; a commit after it is refused and counts nothing.
      expect(await send(urls[0], 'POST', `/v1/reservations/${second}/release`)).toMatchObject({ status: 200, body: { status: 'released' } });
      const late = await send(urls[0], 'POST', `/v1/reservations/${second}/commit`, { quantity: 1 });
      expect(late).toMatchObject({ status: 409, body: { code: 'reservation_closed', status: 'released' } });
      // A committed reservation cannot be released.
      expect(await send(urls[0], 'POST', `/v1/reservations/${first}/release`)).toMatchObject({ status: 409, body: { code: 'reservation_closed' } });
      expect(await counterState(databaseUrl, m.subscriptionId)).toMatchObject({ used: 7, held: 0, ledger: 7 });
    });

    it('fits agrees with what a following record does', async () => {
      const m = await meteredSubscription(urls[0], { strategy, limit: 20 });
      const target = { subscriptionId: m.subscriptionId, feature: m.feature };
      const check = (quantity: number, i: number) =>
        send(urls[i % n], 'GET', `/v1/subscriptions/${m.subscriptionId}/entitlements/${m.feature}?quantity=${quantity}`);
      expect((await send(urls[0], 'POST', '/v1/reservations', { ...target, quantity: 5 })).status).toBe(201);
      // 15 free: 7 fits, then 7 more fits, then 2 does not (1 left), 1 does.
      const steps = [7, 7, 2, 1, 1];
      for (const [i, quantity] of steps.entries()) {
        const asked = await check(quantity, i);
        expect(asked.status).toBe(200);
        const recorded = await send(urls[(i + 1) % n], 'POST', '/v1/usage', { ...target, quantity });
        expect(recorded.status).toBe(asked.body.fits ? 201 : 429);
      }
      const full = await check(1, 0);
      expect(full.body).toEqual({ feature: m.feature, hasAccess: false, used: 15, held: 5, limit: 20, remaining: 0, fits: false });
    });
  });
});

describe('reservations: contract details', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('bad input is a 400 naming the field, and changes nothing', async () => {
    const m = await meteredSubscription(app.baseUrl, { strategy: 'atomic', limit: 50 });
    const target = { subscriptionId: m.subscriptionId, feature: m.feature };
    const bad: [object, string][] = [
      [{ ...target, quantity: 0 }, 'quantity'],
      [{ ...target }, 'quantity'],
      [{ ...target, quantity: 1, ttlSeconds: 0 }, 'ttlSeconds'],
      [{ ...target, quantity: 1, ttlSeconds: 86_401 }, 'ttlSeconds'],
      [{ ...target, quantity: 1, ttlSeconds: 1.5 }, 'ttlSeconds'],
      [{ ...target, quantity: 1, colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of bad) {
      const res = await send(app.baseUrl, 'POST', '/v1/reservations', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed' });
      expect(res.body.message).toContain(field);
    }
    const made = await send(app.baseUrl, 'POST', '/v1/reservations', { ...target, quantity: 10, ttlSeconds: 86_400 });
    expect(made.status).toBe(201);
    const tooMuch = await send(app.baseUrl, 'POST', `/v1/reservations/${made.body.id}/commit`, { quantity: 11 });
    expect(tooMuch).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(tooMuch.body.message).toContain('quantity');
    expect(tooMuch.body.message).toContain('10 held');
    for (const body of [{}, { quantity: -1 }, { quantity: '3' }]) {
      expect((await send(app.baseUrl, 'POST', `/v1/reservations/${made.body.id}/commit`, body)).status).toBe(400);
    }
    const check = await send(app.baseUrl, 'GET', `/v1/subscriptions/${m.subscriptionId}/entitlements/${m.feature}?quantity=0`);
    expect(check).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(check.body.message).toContain('quantity');
    expect(await counterState(app.databaseUrl, m.subscriptionId)).toMatchObject({ used: 0, held: 10, ledger: 0 });
    expect((await send(app.baseUrl, 'GET', `/v1/reservations/${made.body.id}`)).body).toMatchObject({ status: 'held', quantity: 10 });
  });

  it('a repeated idempotencyKey is the same reservation (200), also at the limit', async () => {
    const m = await meteredSubscription(app.baseUrl, { strategy: 'pessimistic', limit: 10 });
    const body = { subscriptionId: m.subscriptionId, feature: m.feature, quantity: 10, idempotencyKey: 'job-1' };
    const answers = await burst(app.baseUrl, '/v1/reservations', Array.from({ length: 10 }, () => body));
    expect(statusCounts(answers)).toEqual({ 201: 1, 200: 9 });
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await counterState(app.databaseUrl, m.subscriptionId)).toMatchObject({ held: 10 });
  });

  it('a commit in a period invoiced meanwhile is 409 period_closed and counts nothing; a release still frees it', async () => {
    // A daily period that ends three seconds from now.
    const m = await meteredSubscription(app.baseUrl, { strategy: 'atomic', limit: 10, interval: 'day', startAt: iso(Date.now() - DAY_MS + 3000) });
    const made = await send(app.baseUrl, 'POST', '/v1/reservations', { subscriptionId: m.subscriptionId, feature: m.feature, quantity: 4 });
    expect(made.status).toBe(201);
    await sleep(Math.max(0, new Date(made.body.periodEnd).getTime() - Date.now()) + 200);
    const rollup = await send(app.baseUrl, 'POST', '/v1/billing/rollups', {});
    expect(rollup.status).toBe(200);
    expect(rollup.body.invoicesCreated).toBeGreaterThanOrEqual(1);

    const late = await send(app.baseUrl, 'POST', `/v1/reservations/${made.body.id}/commit`, { quantity: 3 });
    expect(late).toMatchObject({ status: 409, body: { code: 'period_closed' } });
    expect(await totals(app.databaseUrl, m.subscriptionId)).toMatchObject({ events: 0, quantity: 0 });
    expect((await send(app.baseUrl, 'POST', `/v1/reservations/${made.body.id}/release`)).body).toMatchObject({ status: 'released' });
  });

  it('404 for an unknown feature, subscription or reservation; expired reservations refuse a commit', async () => {
    const m = await meteredSubscription(app.baseUrl, { strategy: 'atomic', limit: 10 });
    expect((await send(app.baseUrl, 'GET', `/v1/subscriptions/${m.subscriptionId}/entitlements/no-such-feature`)).status).toBe(404);
    const other = await meteredSubscription(app.baseUrl, { strategy: 'atomic', limit: 10 });
    expect((await send(app.baseUrl, 'GET', `/v1/subscriptions/${m.subscriptionId}/entitlements/${other.feature}`)).status).toBe(404);
    expect((await send(app.baseUrl, 'GET', `/v1/subscriptions/nope/entitlements`)).status).toBe(404);
    expect((await send(app.baseUrl, 'GET', `/v1/reservations/nope`)).status).toBe(404);
    expect((await send(app.baseUrl, 'POST', `/v1/reservations/00000000-0000-4000-8000-000000000000/release`)).status).toBe(404);

    const made = await send(app.baseUrl, 'POST', '/v1/reservations', { subscriptionId: m.subscriptionId, feature: m.feature, quantity: 4, ttlSeconds: 1 });
    await sleep(1100);
    const late = await send(app.baseUrl, 'POST', `/v1/reservations/${made.body.id}/commit`, { quantity: 1 });
    expect(late).toMatchObject({ status: 409, body: { code: 'reservation_closed', status: 'expired' } });
    expect((await send(app.baseUrl, 'GET', `/v1/reservations/${made.body.id}`)).body).toMatchObject({ status: 'expired' });
    expect(await counterState(app.databaseUrl, m.subscriptionId)).toMatchObject({ used: 0, held: 0, ledger: 0 });

    const metrics = (await send(app.baseUrl, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/tally_reservations_total\{outcome="held"\} \d+/);
    expect(metrics).toMatch(/tally_reservations_total\{outcome="expired"\} \d+/);
    expect(metrics).toMatch(/tally_reservations_held_units \d+/);
  });
});
