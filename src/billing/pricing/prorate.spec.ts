import Decimal from 'decimal.js';
import { formatAmount } from './currency';
import { prorate } from './prorate';

const DAY = 86400;

describe('prorate', () => {
  it('prorates by time to the second', () => {
    expect(prorate(new Decimal('49'), 15 * DAY, 30 * DAY).toString()).toBe('24.5');
    expect(prorate(new Decimal('49'), 0, 30 * DAY).toString()).toBe('0');
    expect(prorate(new Decimal('49.99'), 30 * DAY, 30 * DAY).toString()).toBe('49.99');
    expect(prorate(new Decimal('86400'), 1n, BigInt(DAY)).toString()).toBe('1');
  });

  it('stays unrounded until the invoice line is formatted', () => {
    const third = prorate(new Decimal('49'), 10 * DAY, 30 * DAY);
    expect(third.toString().startsWith('16.333333333333333333333333')).toBe(true);
    expect(formatAmount(third, 'USD')).toBe('16.33');
    // 0.005 exactly: 1 cent × half the period rounds half-up
    expect(formatAmount(prorate(new Decimal('0.01'), 1, 2), 'USD')).toBe('0.01');
  });

  it('rejects impossible inputs', () => {
    expect(() => prorate(new Decimal(1), 1, 0)).toThrow('periodSeconds must be greater than 0');
    expect(() => prorate(new Decimal(1), 2, 1)).toThrow('usedSeconds (2) must not exceed periodSeconds (1)');
    expect(() => prorate(new Decimal(1), -1, 1)).toThrow(RangeError);
    expect(() => prorate(new Decimal(1), 0.5, 1)).toThrow(RangeError);
  });
});
