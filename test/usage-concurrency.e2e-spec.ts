import { Target, countedOnce, limitHolds, mixedQuantities, noLostUpdate } from './support/exactness';
import { TestApp, createTestApp } from './support/test-app';

/**
 * Issue 2, "tests that must exist": real concurrent HTTP requests against one instance and a real
 * PostgreSQL, for each strategy. Every request of a burst is sent before the first answer arrives
 * (one keep-alive socket each), so the strategies' locks and version checks are really contended.
 */
describe('usage under concurrency (one instance)', () => {
  let t: TestApp;
  let target: Target;
  beforeAll(async () => {
    t = await createTestApp();
    target = { urls: [t.baseUrl], databaseUrl: t.databaseUrl };
  });
  afterAll(() => t.close());

  describe.each(['atomic', 'pessimistic', 'optimistic'])('%s', (strategy) => {
    it('200 concurrent requests against a limit of 100: exactly 100 counted, the rest 429', () =>
      limitHolds(target, strategy));

    it('200 concurrent requests with no limit: the counter reaches 200, no update lost', () =>
      noLostUpdate(target, strategy));

    it('50 concurrent repeats of one idempotency key: counted once, every answer the same', () =>
      countedOnce(target, strategy, 100));

    it('50 concurrent repeats of a key that takes the last unit: duplicates, never 429', () =>
      countedOnce(target, strategy, 1));

    it('50 concurrent requests of quantity 3 against a limit of 100: 33 counted, 99 used', async () => {
      const { answers, state } = await mixedQuantities(target, strategy, Array(50).fill(3), 100);
      if (strategy !== 'optimistic') {
        expect(answers.filter((a) => a.status === 201)).toHaveLength(33);
        expect(state.used).toBe(99);
      }
    });

    it('concurrent requests of mixed quantities never pass the limit', async () => {
      const quantities = Array.from({ length: 80 }, (_, i) => (i % 7) + 1); // 320 units asked, 100 allowed
      const { state } = await mixedQuantities(target, strategy, quantities, 100);
      // 1..7 units each, so a counter below 94 would have had room for a refused request.
      if (strategy !== 'optimistic') expect(state.used).toBeGreaterThanOrEqual(94);
    });
  });
});
