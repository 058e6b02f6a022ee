import { migrations } from '../migrations';
import { Target, countedOnce, limitHolds, mixedQuantities, noLostUpdate } from './support/exactness';
import { TestApp, createTestApp } from './support/test-app';
import { createTestDatabase, sql } from './support/test-database';

/**
 * The same exactness with two app instances on one database: each has its own pool and its own
 * in-process caches, so nothing but PostgreSQL can keep them from counting the same unit twice.
 * Requests alternate between the instances.
 */
describe('usage across two instances on one database', () => {
  let first: TestApp;
  let second: TestApp;
  let target: Target;
  beforeAll(async () => {
    first = await createTestApp();
    second = await createTestApp({ databaseUrl: first.databaseUrl });
    target = { urls: [first.baseUrl, second.baseUrl], databaseUrl: first.databaseUrl };
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  describe.each(['atomic', 'pessimistic', 'optimistic'])('%s', (strategy) => {
    it('200 concurrent requests against a limit of 100: exactly 100 counted, the rest 429', () =>
      limitHolds(target, strategy));

    it('200 concurrent requests with no limit: the counter reaches 200, no update lost', () =>
      noLostUpdate(target, strategy));

    it('50 concurrent repeats of one idempotency key: counted once, every answer the same', () =>
      countedOnce(target, strategy, 100));

    it('concurrent requests of quantity 3 against a limit of 100: never past it', async () => {
      const { state } = await mixedQuantities(target, strategy, Array(50).fill(3), 100);
      if (strategy !== 'optimistic') expect(state.used).toBe(99);
    });
  });
});

describe('two instances starting together on an empty database', () => {
  it('migrate once (advisory lock) and both serve', async () => {
    const db = await createTestDatabase();
    const apps: TestApp[] = [];
    try {
      const started = await Promise.allSettled([
        createTestApp({ databaseUrl: db.url }),
        createTestApp({ databaseUrl: db.url }),
      ]);
      for (const s of started) if (s.status === 'fulfilled') apps.push(s.value);
      expect(started.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);

      const applied = await sql(db.url, 'SELECT name FROM migrations ORDER BY id');
      // Each migration applied exactly once, although both instances found the database empty.
      expect(applied.map((m) => m.name)).toEqual(migrations.map((M) => new M().name));
      for (const app of apps) {
        const res = await app.http().get('/v1/features/nothing-here');
        expect(res.status).toBe(404);
      }
    } finally {
      for (const app of apps) await app.close();
      await db.drop();
    }
  });
});
