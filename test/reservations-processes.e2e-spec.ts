import { meteredSubscription } from './support/fixtures';
import { send } from './support/http';
import { killLeftovers, startServer } from './support/server-process';
import { createTestDatabase, sql } from './support/test-database';
import { until } from './support/until';

/**
 * Expiry needs no particular instance: two real server processes on one database, the one that
 * made a reservation is killed with SIGKILL, and the other releases it once it expires.
 */

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killLeftovers();
  for (const drop of drops) await drop().catch(() => undefined);
});

/** Seconds an expired reservation may stay held: the sweep runs every second on every instance. */
const GRACE_MS = 3000;

describe.each(['atomic', 'buffered'])('%s: reservation expiry with the creating process killed', (strategy) => {
  it('the quantity is free again within ttl + a few seconds, released by the surviving process', async () => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    const creator = await startServer({ databaseUrl: db.url });
    const survivor = await startServer({ databaseUrl: db.url });
    const m = await meteredSubscription(creator.baseUrl, { strategy, limit: 100 });
    const target = { subscriptionId: m.subscriptionId, feature: m.feature };

    // Some usage first, so that the creator holds a buffered lease when it dies.
    expect((await send(creator.baseUrl, 'POST', '/v1/usage', { ...target, quantity: 10 })).status).toBe(201);
    const made = await send(creator.baseUrl, 'POST', '/v1/reservations', { ...target, quantity: 90, ttlSeconds: 2 });
    expect(made.status).toBe(201);
    expect((await send(survivor.baseUrl, 'POST', '/v1/reservations', { ...target, quantity: 1 })).status).toBe(429);

    creator.kill('SIGKILL');
    await creator.waitForExit();

    const expiresAt = new Date(made.body.expiresAt).getTime();
    await until(async () => {
      const check = await send(survivor.baseUrl, 'GET', `/v1/subscriptions/${m.subscriptionId}/entitlements/${m.feature}?quantity=90`);
      return check.status === 200 && check.body.held === 0 && check.body.fits;
    }, 'the expired reservation to be released', { timeoutMs: 15_000, everyMs: 50 });
    expect(Date.now()).toBeLessThanOrEqual(expiresAt + GRACE_MS);

    expect((await send(survivor.baseUrl, 'GET', `/v1/reservations/${made.body.id}`)).body).toMatchObject({ status: 'expired' });
    const late = await send(survivor.baseUrl, 'POST', `/v1/reservations/${made.body.id}/commit`, { quantity: 5 });
    expect(late).toMatchObject({ status: 409, body: { code: 'reservation_closed', status: 'expired' } });
    // What expired is free for anyone: the survivor may hold it all again.
    expect((await send(survivor.baseUrl, 'POST', '/v1/reservations', { ...target, quantity: 90 })).status).toBe(201);
    const metrics = (await send(survivor.baseUrl, 'GET', '/metrics')).body as string;
    expect(metrics).toContain('tally_reservations_total{outcome="expired"} 1');
    expect(metrics).toContain('tally_reservations_held_units 90');

    await survivor.stop();
    const [row] = await sql(db.url, `SELECT used::int, held::int, reserved::int FROM usage_counters WHERE subscription_id = $1`, [
      m.subscriptionId,
    ]);
    expect(row).toEqual({ used: 10, held: 90, reserved: 0 });
  });
});
