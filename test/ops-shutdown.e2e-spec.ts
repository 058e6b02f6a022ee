import { ScratchDatabase } from '../src/database/scratch-database';
import { EmbeddedServerProcess } from './support/embedded-server-process';
import { meteredSubscription } from './support/fixtures';
import { postJson, send } from './support/http';
import { parsePrometheusText, sampleValue } from './support/prometheus-text';
import { ServerProcess, killLeftovers, startServer } from './support/server-process';
import { connect, createTestDatabase, totals } from './support/test-database';
import { until } from './support/until';

/** Requests being handled by the server right now, from its own gauge (probes and scrapes excluded). */
async function inFlight(server: ServerProcess): Promise<number> {
  const scrape = await send(server.baseUrl, 'GET', '/metrics');
  return sampleValue(parsePrometheusText(scrape.body), 'tally_http_requests_in_flight');
}

/**
 * Holds the row locks of the subscriptions' counters from a connection of the test's own, so that
 * requests counting on them wait in the database until release(): requests really in flight.
 */
async function holdCounters(databaseUrl: string, subscriptionIds: string[]): Promise<() => Promise<void>> {
  const client = await connect(databaseUrl);
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM usage_counters WHERE subscription_id = ANY($1::uuid[]) FOR UPDATE', [subscriptionIds]);
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}

describe('graceful shutdown (SIGTERM to the built server)', () => {
  let db: ScratchDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await killLeftovers();
    await db.drop();
  });

  it('answers every request that started, refuses new ones, flushes, and exits 0', async () => {
    const server = await startServer({
      databaseUrl: db.url,
      env: { SHUTDOWN_TIMEOUT_MS: '20000', LOG_LEVEL: 'info', USAGE_FLUSH_INTERVAL_MS: '60000' },
    });
    // Slow requests: batches that wait for the counter rows a test connection holds locked. One
    // event each first, so that the rows exist to be locked.
    const atomic = await meteredSubscription(server.baseUrl, { strategy: 'atomic', limit: null });
    const buffered = await meteredSubscription(server.baseUrl, { strategy: 'buffered', limit: null });
    for (const m of [atomic, buffered]) {
      expect((await postJson(server.baseUrl, '/v1/usage', { subscriptionId: m.subscriptionId, feature: m.feature })).status).toBe(201);
    }
    const release = await holdCounters(db.url, [atomic.subscriptionId, buffered.subscriptionId]);
    const REQUESTS = 6;
    const EVENTS = 250;
    const events = (m: typeof atomic) =>
      Array.from({ length: EVENTS }, () => ({ subscriptionId: m.subscriptionId, feature: m.feature }));
    const slow = Array.from({ length: REQUESTS }, (_, i) =>
      postJson(server.baseUrl, '/v1/usage/batch', { events: events(i % 2 === 0 ? atomic : buffered) }, 25_000),
    );

    // Every one of them is being handled before the signal.
    await until(async () => (await inFlight(server)) >= REQUESTS, `${REQUESTS} requests in flight`);
    server.kill('SIGTERM');

    // Draining: not ready, and a request that comes now is refused (or finds the port closed), not served.
    await until(async () => (await send(server.baseUrl, 'GET', '/health/ready')).status === 503, 'ready 503');
    const late = await postJson(server.baseUrl, '/v1/usage', { subscriptionId: atomic.subscriptionId, feature: atomic.feature });
    await release();

    const answers = await Promise.all(slow);
    const exit = await server.waitForExit(25_000);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.results).toHaveLength(EVENTS);
      expect(answer.body.results.filter((r: any) => r.status !== 'accepted')).toEqual([]);
    }
    expect(exit).toEqual({ code: 0, signal: null });
    expect([0, 503]).toContain(late.status);
    if (late.status === 503) expect(late.body).toMatchObject({ statusCode: 503, code: 'unavailable' });
    // Everything answered was written; the buffered counts reached their counter row on the way out.
    const half = (REQUESTS / 2) * EVENTS + 1;
    expect(await totals(db.url, atomic.subscriptionId)).toMatchObject({ used: half, events: half, quantity: half });
    expect(await totals(db.url, buffered.subscriptionId)).toMatchObject({ used: half, events: half, quantity: half });

    // The log is JSON lines throughout, and tells the steps in order.
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line));
    const steps = lines.map((line) => line.msg).filter((msg: string) => /^(signal=|draining|drained|buffered counts flushed|shut down)/.test(msg));
    expect(steps.map((msg: string) => msg.split(/[ =]/)[0])).toEqual(['signal', 'draining', 'drained', 'buffered', 'shut']);
    expect(lines.filter((line) => line.msg === 'request completed' && line.req.url === '/v1/usage/batch')).toHaveLength(REQUESTS);
  });

  it('exits 1 and says so when the database is unreachable at SIGTERM; the next start retires it, nothing lost', async () => {
    const database = await EmbeddedServerProcess.inTempDir('tally-shutdown-');
    await database.start();
    try {
      const env = { USAGE_FLUSH_INTERVAL_MS: '3600000', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '20000' };
      const first = await startServer({ databaseUrl: database.url, env });
      const m = await meteredSubscription(first.baseUrl, { strategy: 'buffered', limit: 100 });
      for (let i = 0; i < 5; i++) {
        expect((await postJson(first.baseUrl, '/v1/usage', { subscriptionId: m.subscriptionId, feature: m.feature })).status).toBe(201);
      }
      await database.stop();
      first.kill('SIGTERM');
      expect(await first.waitForExit(25_000)).toEqual({ code: 1, signal: null });
      expect(first.output()).toContain('buffered counts NOT flushed and leases NOT returned');
      expect(first.output()).not.toContain('buffered counts flushed, leases returned');

      // The next instance finds the first one dead and flushes its events from the ledger.
      await database.start();
      const second = await startServer({ databaseUrl: database.url, env });
      expect(await totals(database.url, m.subscriptionId)).toMatchObject({ used: 5, reserved: 0, events: 5, quantity: 5 });
      expect((await second.stop()).code).toBe(0);
    } finally {
      await database.remove();
    }
  });

  it('exits 1 when the shutdown takes longer than SHUTDOWN_TIMEOUT_MS', async () => {
    const server = await startServer({ databaseUrl: db.url, env: { SHUTDOWN_TIMEOUT_MS: '200' } });
    const m = await meteredSubscription(server.baseUrl, { strategy: 'atomic', limit: null });
    expect((await postJson(server.baseUrl, '/v1/usage', { subscriptionId: m.subscriptionId, feature: m.feature })).status).toBe(201);
    const release = await holdCounters(db.url, [m.subscriptionId]);
    const slow = postJson(server.baseUrl, '/v1/usage', { subscriptionId: m.subscriptionId, feature: m.feature }, 60_000);
    await until(async () => (await inFlight(server)) >= 1, 'the request in flight');
    server.kill('SIGTERM');
    const exit = await server.waitForExit(20_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(server.output()).toContain('shutdown took longer than SHUTDOWN_TIMEOUT_MS=200');
    await release();
    await slow;
  });
});
