import { retryDelayMs } from './retry-schedule';

describe('retryDelayMs', () => {
  const schedule = [60_000, 300_000];

  it('takes the delay of the failed attempt, varied by at most 10% either way', () => {
    expect(retryDelayMs(schedule, 1, () => 0)).toBe(54_000);
    expect(retryDelayMs(schedule, 1, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(schedule, 2, () => 0.9999999)).toBe(330_000);
  });

  it('has no delay after the last retry: the delivery is failed', () => {
    expect(retryDelayMs(schedule, 3)).toBeUndefined();
    expect(retryDelayMs([], 1)).toBeUndefined();
  });
});
