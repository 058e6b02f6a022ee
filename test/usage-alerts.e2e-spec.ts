import request from 'supertest';
import { range } from './support/exactness';
import { burst } from './support/concurrent';
import { meteredSubscription, unique } from './support/fixtures';
import { statusCounts } from './support/http';
import { ServerProcess, killLeftovers, startServer } from './support/server-process';
import { createTestDatabase, sql } from './support/test-database';

/**
 * Issue 12, usage alerts: a threshold is announced (usage.threshold_crossed in the outbox) exactly
 * once per period, by the count that crossed it, and the first refusal by the limit
 * (usage.limit_refused) once — for every strategy, on one instance and on three sharing the
 * database (the buffered strategy's counts meet only in the database).
 */

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killLeftovers();
  for (const drop of drops) await drop().catch(() => undefined);
});

const ALERTS = [{ percent: 80 }, { percent: 100 }, { units: 50 }];

async function eventsOf(databaseUrl: string, subscriptionId: string) {
  return sql<{ type: string; data: any }>(
    databaseUrl,
    `SELECT type, data FROM events WHERE data->>'subscriptionId' = $1 ORDER BY created_at, id`,
    [subscriptionId],
  );
}

describe.each(['atomic', 'pessimistic', 'optimistic', 'buffered'])('usage alerts: %s', (strategy) => {
  let servers: ServerProcess[] = [];
  let databaseUrl: string;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    databaseUrl = db.url;
    const first = await startServer({ databaseUrl });
    servers = [first, ...(await Promise.all(range(2, 3).map(() => startServer({ databaseUrl }))))];
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it.each([1, 3])('200 concurrent uses of 1 against a limit of 100 on %i instance(s): each threshold once, one refusal', async (n) => {
    const targets = servers.slice(0, n).map((s) => s.baseUrl);
    const sub = await meteredSubscription(targets[0], { strategy, limit: 100, alerts: ALERTS });
    const body = { subscriptionId: sub.subscriptionId, feature: sub.feature };
    const answers = await burst(targets, '/v1/usage', Array(200).fill(body));
    expect(statusCounts(answers)).toEqual({ 201: 100, 429: 100 });

    const events = await eventsOf(databaseUrl, sub.subscriptionId);
    const crossed = events.filter((e) => e.type === 'usage.threshold_crossed');
    expect(crossed.map((e) => [e.data.threshold, e.data.used]).sort((a, b) => a[1] - b[1])).toEqual([
      [{ units: 50 }, 50],
      [{ percent: 80 }, 80],
      [{ percent: 100 }, 100],
    ]);
    for (const e of crossed) {
      expect(e.data).toMatchObject({
        subscriptionId: sub.subscriptionId,
        customerExternalId: sub.customerExternalId,
        feature: sub.feature,
        limit: 100,
        periodStart: answers.find((a) => a.status === 201)!.body.periodStart,
        periodEnd: answers.find((a) => a.status === 201)!.body.periodEnd,
      });
    }
    const refused = events.filter((e) => e.type === 'usage.limit_refused');
    expect(refused).toHaveLength(1);
    expect(refused[0].data).toMatchObject({ subscriptionId: sub.subscriptionId, feature: sub.feature, limit: 100, quantity: 1 });
    expect(events).toHaveLength(4);
  });

  it('one event jumping over several thresholds announces each of them, once', async () => {
    const base = servers[0].baseUrl;
    const sub = await meteredSubscription(base, { strategy, limit: 100, alerts: ALERTS });
    const use = (quantity: number) => request(base).post('/v1/usage').send({ subscriptionId: sub.subscriptionId, feature: sub.feature, quantity });
    await use(10).expect(201);
    await use(85).expect(201);
    await use(5).expect(201);
    await use(1).expect(429);
    await use(1).expect(429);
    const events = await eventsOf(databaseUrl, sub.subscriptionId);
    // Events written by one transaction share its created_at: compared in a fixed order.
    const seen = events.map((e) => [e.type, e.data.threshold, e.data.used]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(seen).toEqual([
      ['usage.limit_refused', null, expect.any(Number)],
      ['usage.threshold_crossed', { percent: 100 }, 100],
      ['usage.threshold_crossed', { percent: 80 }, 95],
      ['usage.threshold_crossed', { units: 50 }, 95],
    ]);
  });
});

describe.each(['atomic', 'buffered'])('usage alerts of a committed reservation: %s', (strategy) => {
  let server: ServerProcess;
  let databaseUrl: string;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    databaseUrl = db.url;
    server = await startServer({ databaseUrl });
  });
  afterAll(() => server.stop());

  it('announces the thresholds its committed quantity crosses, once', async () => {
    const sub = await meteredSubscription(server.baseUrl, { strategy, limit: 100, alerts: ALERTS });
    const http = request(server.baseUrl);
    await http.post('/v1/usage').send({ subscriptionId: sub.subscriptionId, feature: sub.feature, quantity: 40 }).expect(201);
    const held = await http.post('/v1/reservations').send({ subscriptionId: sub.subscriptionId, feature: sub.feature, quantity: 50 }).expect(201);
    // Holding is not usage: nothing is crossed yet.
    expect(await eventsOf(databaseUrl, sub.subscriptionId)).toEqual([]);
    await http.post(`/v1/reservations/${held.body.id}/commit`).send({ quantity: 45 }).expect(201);
    const events = await eventsOf(databaseUrl, sub.subscriptionId);
    const seen = events.map((e) => [e.type, e.data.threshold, e.data.used]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(seen).toEqual([
      ['usage.threshold_crossed', { percent: 80 }, 85],
      ['usage.threshold_crossed', { units: 50 }, 85],
    ]);
  });
});

describe('alerts on a plan', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    server = await startServer({ databaseUrl: db.url });
  });
  afterAll(() => server.stop());

  const plan = async (charge: object) => {
    const feature = unique('f');
    await request(server.baseUrl).post('/v1/features').send({ key: feature, name: 'F' }).expect(201);
    return request(server.baseUrl)
      .post('/v1/plans')
      .send({ key: unique('p'), name: 'P', currency: 'USD', interval: 'month', charges: [{ feature, ...charge }] });
  };

  it('are answered as given', async () => {
    const res = await plan({ limit: 10, alerts: [{ percent: 80 }, { units: 3 }] });
    expect(res.status).toBe(201);
    expect(res.body.charges[0].alerts).toEqual([{ percent: 80 }, { units: 3 }]);
    const none = await plan({ limit: 10 });
    expect(none.body.charges[0].alerts).toEqual([]);
  });

  it.each([
    ['a percent without a limit', { alerts: [{ percent: 80 }] }, 'charges[0].alerts[0]'],
    ['both percent and units', { limit: 5, alerts: [{ percent: 80, units: 3 }] }, 'charges[0].alerts[0]'],
    ['neither', { limit: 5, alerts: [{}] }, 'charges[0].alerts[0]'],
    ['the same threshold twice', { limit: 5, alerts: [{ units: 3 }, { units: 3 }] }, 'charges[0].alerts[1]'],
    ['percent 0', { limit: 5, alerts: [{ percent: 0 }] }, 'charges[0].alerts[0].percent'],
    ['percent 101', { limit: 5, alerts: [{ percent: 101 }] }, 'charges[0].alerts[0].percent'],
    ['units 1.5', { alerts: [{ units: 1.5 }] }, 'charges[0].alerts[0].units'],
    ['eleven alerts', { alerts: range(1, 11).map((units) => ({ units })) }, 'charges[0].alerts'],
    ['an unknown field', { limit: 5, alerts: [{ percent: 50, email: 'x' }] }, 'charges[0].alerts[0].email'],
    ['alerts not an array', { limit: 5, alerts: { percent: 50 } }, 'charges[0].alerts'],
  ])('%s is 400 naming the field', async (_, charge, field) => {
    const res = await plan(charge);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(res.body.message).toContain(field);
  });
});
