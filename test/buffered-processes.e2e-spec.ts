import { burst } from './support/concurrent';
import { range, sortedNumbers } from './support/exactness';
import { meteredSubscription } from './support/fixtures';
import { statusCounts } from './support/http';
import { ServerProcess, killLeftovers, startServer } from './support/server-process';
import { createTestDatabase, instances, totals } from './support/test-database';

/**
 * The concurrency exactness of issue 2, for the `buffered` strategy, against real server
 * processes (`node dist/src/main.js`) sharing one database: one process, then three. The
 * counter rows are written only by flushes, so they are compared with the ledger and the
 * answers after the processes have exited gracefully (SIGTERM → flush → exit 0).
 */

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killLeftovers();
  for (const drop of drops) await drop().catch(() => undefined);
});

/** All requests at once; request i goes to process i % n. */
const fire = (servers: ServerProcess[], bodies: unknown[]) => burst(servers.map((s) => s.baseUrl), '/v1/usage', bodies);

describe.each([1, 3])('buffered strategy, %i app process(es) on one database', (n) => {
  it('200 concurrent against a limit of 100 → exactly 100; no limit → 200; 50 repeats of a key → once', async () => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    // The first process migrates the fresh database; the others start together after it.
    const first = await startServer({ databaseUrl: db.url });
    const servers = [first, ...(await Promise.all(range(2, n).map(() => startServer({ databaseUrl: db.url }))))];
    expect(await instances(db.url)).toHaveLength(n);

    const limited = await meteredSubscription(first.baseUrl, { strategy: 'buffered', limit: 100 });
    const unlimited = await meteredSubscription(first.baseUrl, { strategy: 'buffered', limit: null });
    const keyed = await meteredSubscription(first.baseUrl, { strategy: 'buffered', limit: 100 });

    // 1. Limit 100, 200 concurrent requests of quantity 1.
    const one = { subscriptionId: limited.subscriptionId, feature: limited.feature, quantity: 1 };
    const limitedAnswers = await fire(servers, Array(200).fill(one));
    expect(statusCounts(limitedAnswers)).toEqual({ 201: 100, 429: 100 });
    const accepted = limitedAnswers.filter((a) => a.status === 201);
    for (const a of accepted) {
      expect(a.body).toMatchObject({ accepted: true, duplicate: false, feature: limited.feature, limit: 100 });
      expect(a.body.used).toBeGreaterThanOrEqual(1);
      expect(a.body.used).toBeLessThanOrEqual(100);
      expect(a.body.remaining).toBe(100 - a.body.used);
    }
    // One process sees every count at once: its answers are the running totals 1..100.
    if (n === 1) expect(sortedNumbers(accepted.map((a) => a.body.used))).toEqual(range(1, 100));
    for (const r of limitedAnswers.filter((a) => a.status === 429)) {
      expect(r.body).toMatchObject({ statusCode: 429, code: 'limit_exceeded', limit: 100 });
      expect(r.body.used).toBeLessThanOrEqual(100);
    }

    // 2. No limit, 200 concurrent requests: none lost.
    const plain = { subscriptionId: unlimited.subscriptionId, feature: unlimited.feature };
    const unlimitedAnswers = await fire(servers, Array(200).fill(plain));
    expect(statusCounts(unlimitedAnswers)).toEqual({ 201: 200 });
    for (const a of unlimitedAnswers) expect(a.body).toMatchObject({ limit: null, remaining: null, duplicate: false });
    if (n === 1) expect(sortedNumbers(unlimitedAnswers.map((a) => a.body.used))).toEqual(range(1, 200));

    // 3. 50 concurrent repeats of one idempotency key, spread over the processes.
    const repeat = { subscriptionId: keyed.subscriptionId, feature: keyed.feature, idempotencyKey: 'order-42' };
    const repeatAnswers = await fire(servers, Array(50).fill(repeat));
    expect(statusCounts(repeatAnswers)).toEqual({ 201: 1, 200: 49 });
    const original = repeatAnswers.find((a) => a.status === 201)!.body;
    expect(original).toMatchObject({ accepted: true, duplicate: false, used: 1, limit: 100, remaining: 99 });
    for (const a of repeatAnswers) expect(a.body).toEqual({ ...original, duplicate: a.status === 200 });

    // The ledger holds exactly what was acknowledged, before any flush is awaited.
    expect(await totals(db.url, limited.subscriptionId)).toMatchObject({ events: 100, quantity: 100 });
    expect(await totals(db.url, unlimited.subscriptionId)).toMatchObject({ events: 200, quantity: 200 });
    expect(await totals(db.url, keyed.subscriptionId)).toMatchObject({ events: 1, quantity: 1 });

    // Graceful exits: every process flushes and gives its leases back, and exits 0.
    const exits = await Promise.all(servers.map((s) => s.stop()));
    for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });

    // counter == ledger == 201s, and no quota is left reserved by a process that is gone.
    expect(await totals(db.url, limited.subscriptionId)).toEqual({
      counters: 1,
      used: 100,
      reserved: 0,
      limit: 100,
      events: 100,
      quantity: 100,
    });
    expect(await totals(db.url, unlimited.subscriptionId)).toEqual({
      counters: 1,
      used: 200,
      reserved: 0,
      limit: null,
      events: 200,
      quantity: 200,
    });
    expect(await totals(db.url, keyed.subscriptionId)).toEqual({
      counters: 1,
      used: 1,
      reserved: 0,
      limit: 100,
      events: 1,
      quantity: 1,
    });
    expect(await instances(db.url)).toEqual([]);
  });
});
