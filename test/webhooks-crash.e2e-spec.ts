import request from 'supertest';
import { billedSubscription } from './support/fixtures';
import { ServerProcess, killLeftovers, startServer } from './support/server-process';
import { createTestDatabase } from './support/test-database';
import { until } from './support/until';
import { Receiver, startReceiver } from './support/webhook-receiver';

/** A real server process; its claims are leased for WEBHOOK_TIMEOUT_MS + 5 s. */
const ENV = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_TIMEOUT_MS: '5000',
  WEBHOOK_POLL_INTERVAL_MS: '100',
  WEBHOOK_RETRY_SCHEDULE: 'PT0.2S,PT0.2S,PT0.2S',
};

describe('webhook delivery across a kill -9', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let receiver: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await killLeftovers();
    await receiver?.close();
    await db.drop();
  });

  it('every event claimed by a process killed mid-delivery is delivered by the next one', async () => {
    // Holds every request open: the first process claims and sends, and never learns the outcome.
    receiver = await startReceiver(() => 'hold');
    const first: ServerProcess = await startServer({ databaseUrl: db.url, env: ENV });
    await request(first.baseUrl).post('/v1/webhook-endpoints').send({ url: receiver.url, eventTypes: ['subscription.created'] }).expect(201);
    const subscriptions: string[] = [];
    for (let i = 0; i < 5; i++) subscriptions.push((await billedSubscription(first.baseUrl, { charges: [{}] })).subscriptionId);
    await until(() => new Set(receiver.received.map((r) => r.event.data.id)).size === 5, 'five held deliveries', { timeoutMs: 10_000 });

    first.kill('SIGKILL');
    await first.waitForExit();
    receiver.behave(() => 200);

    const second = await startServer({ databaseUrl: db.url, env: ENV });
    // After the lease of the dead process's claims, the new one sends each again.
    await until(
      () => subscriptions.every((id) => receiver.received.some((r) => r.event.data.id === id && r.answer === 200)),
      'every event delivered by the new process',
      { timeoutMs: 30_000, everyMs: 100 },
    );
    for (const id of subscriptions) {
      const deliveries = receiver.received.filter((r) => r.event.data.id === id);
      expect(deliveries.map((d) => d.answer)).toEqual(['held', 200]);
      expect(deliveries[0].event.id).toBe(deliveries[1].event.id);
    }
    await second.stop();
  }, 60_000);
});
