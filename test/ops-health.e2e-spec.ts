import { setTimeout as sleep } from 'node:timers/promises';
import { DrainService } from '../src/lifecycle/drain.service';
import { EmbeddedServerProcess } from './support/embedded-server-process';
import { TestApp, createTestApp } from './support/test-app';

/**
 * A PostgreSQL of this test's own, so that it can be stopped and started under a running app
 * without touching the server the rest of the suite uses.
 */
describe('health', () => {
  let database: EmbeddedServerProcess;
  let t: TestApp;

  /** Polls /health/ready until it answers `status`, and returns that answer. */
  async function readyBecomes(status: number, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await t.http().get('/health/ready');
      if (res.status === status) return res;
      if (Date.now() > deadline) throw new Error(`ready stayed ${res.status}: ${JSON.stringify(res.body)}`);
      await sleep(100);
    }
  }

  beforeAll(async () => {
    // Stopping keeps the data folder, so the same server starts again on it.
    database = await EmbeddedServerProcess.inTempDir('tally-health-');
    await database.start();
    // A short flush interval: the buffered strategy registers anew on its next flush after an outage.
    t = await createTestApp({ databaseUrl: database.url, config: { usageFlushIntervalMs: 100 } });
  });

  afterAll(async () => {
    await t?.close();
    await database?.remove();
  });

  it('is live and ready, and says what it checked', async () => {
    const live = await t.http().get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'ok' });
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: {
        shutdown: { status: 'up' },
        database: { status: 'up' },
        migrations: { status: 'up' },
        buffered: { status: 'up' },
      },
    });
  });

  it('turns not ready while the database is down, stays live, and turns ready again when it is back', async () => {
    await database.stop();

    const down = await readyBecomes(503);
    expect(down.body).toMatchObject({
      statusCode: 503,
      code: 'unavailable',
      message: expect.stringContaining('database'),
      status: 'error',
      error: { database: { status: 'down' } },
    });
    // The buffered strategy lost its liveness connection with the server: it stops taking events.
    expect((await readyBecomes(503)).body.error).toMatchObject({ buffered: { status: 'down' } });
    expect((await t.http().get('/health/live')).status).toBe(200);

    await database.start();

    const up = await readyBecomes(200);
    expect(up.body.info).toMatchObject({ database: { status: 'up' }, buffered: { status: 'up' } });
    // Really back: the API works on the restarted server.
    const created = await t.http().post('/v1/features').send({ key: 'after-restart', name: 'Feature', strategy: 'buffered' });
    expect(created.status).toBe(201);
  });

  it('turns not ready and refuses new API requests once draining for shutdown', async () => {
    await t.app.get(DrainService).drain();
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ code: 'unavailable', error: { shutdown: { status: 'down' } } });
    const refused = await t.http().get('/v1/features/after-restart');
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ statusCode: 503, code: 'unavailable', message: expect.any(String) });
    expect(refused.headers.connection).toBe('close');
    expect((await t.http().get('/health/live')).status).toBe(200);
  });
});
