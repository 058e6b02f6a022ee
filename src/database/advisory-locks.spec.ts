import { ADVISORY_LOCK_NUMBERS, BILLING_ROLLUP_LOCK, MIGRATIONS_LOCK, usageInstanceLock } from './advisory-locks';

describe('advisory lock registry', () => {
  it('gives every lock a number of its own', () => {
    expect(new Set(ADVISORY_LOCK_NUMBERS).size).toBe(ADVISORY_LOCK_NUMBERS.length);
  });

  it('keeps each lock in its key space: one bigint key, or a space and an instance', () => {
    expect(MIGRATIONS_LOCK.keys).toEqual([7_310_001]);
    expect(BILLING_ROLLUP_LOCK.keys).toEqual([7_310_003]);
    // The liveness locks of running instances: this pair must not change between releases.
    expect(usageInstanceLock(42).keys).toEqual([7_310_002, 42]);
  });
});
