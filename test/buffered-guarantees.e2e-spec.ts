import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { burst } from './support/concurrent';
import { EmbeddedServerProcess } from './support/embedded-server-process';
import { meteredSubscription } from './support/fixtures';
import { statusCounts } from './support/http';
import { TestApp, createTestApp } from './support/test-app';
import { sql } from './support/test-database';

/**
 * Guarantees of the buffered strategy that one app in the test process can show: group commit,
 * the counter row left alone per event, and failing fast (then recovering) without a database.
 * Signals, crashes and several processes are in test/buffered-*.e2e-spec.ts.
 */
describe('buffered metering guarantees', () => {
  describe('with a long batch window', () => {
    let t: TestApp;
    beforeAll(async () => {
      // No scheduled flush during the test: only shutdown may write the counter row.
      t = await createTestApp({ config: { usageBatchMaxWaitMs: 200, usageFlushIntervalMs: 3_600_000 } });
    });
    afterAll(() => t?.close());

    it('writes events that arrive together in one transaction (group commit)', async () => {
      const m = await meteredSubscription(t.baseUrl, { strategy: 'buffered' });
      const body = { subscriptionId: m.subscriptionId, feature: m.feature };
      // Warm the counter so that the burst does not wait on its first read.
      expect((await request(t.baseUrl).post('/v1/usage').send(body)).status).toBe(201);
      expect(statusCounts(await burst(t.baseUrl, '/v1/usage', Array(100).fill(body)))).toEqual({ 201: 100 });
      // Rows written by one transaction share its xmin: a commit per event would show 101.
      const [{ transactions, events }] = await sql(
        t.databaseUrl,
        `SELECT count(DISTINCT xmin::text)::int AS transactions, count(*)::int AS events
           FROM usage_events WHERE subscription_id = $1`,
        [m.subscriptionId],
      );
      expect(events).toBe(101);
      expect(transactions).toBeLessThanOrEqual(4);
    });

    it('does not write the counter row per event, yet reports the events at once', async () => {
      const m = await meteredSubscription(t.baseUrl, { strategy: 'buffered' });
      const body = { subscriptionId: m.subscriptionId, feature: m.feature };
      expect((await request(t.baseUrl).post('/v1/usage').send(body)).status).toBe(201);
      const rowVersion = () =>
        sql(t.databaseUrl, `SELECT xmin::text AS xmin, used::int AS used FROM usage_counters WHERE subscription_id = $1`, [
          m.subscriptionId,
        ]).then((rows) => rows[0]);
      const before = await rowVersion();
      expect(statusCounts(await burst(t.baseUrl, '/v1/usage', Array(50).fill(body)))).toEqual({ 201: 50 });
      // The same row version as before the burst: not one UPDATE touched it.
      expect(await rowVersion()).toEqual(before);
      expect(before.used).toBe(0);
      const usage = await request(t.baseUrl).get(`/v1/subscriptions/${m.subscriptionId}/usage`).expect(200);
      expect(usage.body.features[0]).toMatchObject({ used: 51 });
    });
  });

  describe('with a small batch size', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ config: { usageBatchMaxWaitMs: 200, usageBatchMaxEvents: 10 } });
    });
    afterAll(() => t?.close());

    it('closes a batch after USAGE_BATCH_MAX_EVENTS events', async () => {
      const m = await meteredSubscription(t.baseUrl, { strategy: 'buffered' });
      const body = { subscriptionId: m.subscriptionId, feature: m.feature };
      expect((await request(t.baseUrl).post('/v1/usage').send(body)).status).toBe(201);
      expect(statusCounts(await burst(t.baseUrl, '/v1/usage', Array(100).fill(body)))).toEqual({ 201: 100 });
      const [{ transactions, largest }] = await sql(
        t.databaseUrl,
        `SELECT count(*)::int AS transactions, max(n)::int AS largest
           FROM (SELECT count(*) AS n FROM usage_events WHERE subscription_id = $1 GROUP BY xmin::text) batches`,
        [m.subscriptionId],
      );
      expect(largest).toBeLessThanOrEqual(10);
      expect(transactions).toBeGreaterThanOrEqual(11);
    });
  });

  describe('when the database goes away', () => {
    let database: EmbeddedServerProcess;
    let t: TestApp;

    beforeAll(async () => {
      database = await EmbeddedServerProcess.inTempDir('tally-outage-');
      await database.start();
      t = await createTestApp({ databaseUrl: database.url, config: { usageFlushIntervalMs: 100 } });
    });
    afterAll(async () => {
      await t?.close().catch(() => undefined);
      await database?.remove();
    });

    it('answers 503 unavailable fast, acknowledges nothing, and recovers by itself', async () => {
      const m = await meteredSubscription(t.baseUrl, { strategy: 'buffered', limit: 1000 });
      const body = { subscriptionId: m.subscriptionId, feature: m.feature };
      expect((await request(t.baseUrl).post('/v1/usage').send({ ...body, idempotencyKey: 'before' })).status).toBe(201);

      await database.stop();
      const started = Date.now();
      const down = await request(t.baseUrl).post('/v1/usage').send({ ...body, idempotencyKey: 'during' });
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ statusCode: 503, code: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(5000);

      await database.start();
      let status = 0;
      for (let i = 0; i < 200 && status !== 201; i++) {
        status = (await request(t.baseUrl).post('/v1/usage').send({ ...body, idempotencyKey: 'after' })).status;
        if (status !== 201) await sleep(100);
      }
      expect(status).toBe(201);
      // The event answered 503 was never written; a retry of it is counted once.
      const rows = await sql(t.databaseUrl, `SELECT idempotency_key FROM usage_events WHERE subscription_id = $1 ORDER BY id`, [
        m.subscriptionId,
      ]);
      expect(rows.map((r) => r.idempotency_key)).toEqual(['before', 'after']);
      expect((await request(t.baseUrl).post('/v1/usage').send({ ...body, idempotencyKey: 'during' })).status).toBe(201);
    });
  });
});
