import Decimal from 'decimal.js';
import { formatAmount, isCurrency, minorUnits, roundToCurrency } from './currency';

describe('minorUnits / isCurrency', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['KRW', 0],
    ['JPY', 0],
    ['XOF', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['TND', 3],
    ['CLF', 4],
  ])('%s has %i minor digits', (code, digits) => {
    expect(minorUnits(code)).toBe(digits);
    expect(isCurrency(code)).toBe(true);
  });

  it.each(['usd', 'XXX', 'XAU', 'ABC', '', 'US'])('rejects %p', (code) => {
    expect(minorUnits(code)).toBeUndefined();
    expect(isCurrency(code)).toBe(false);
  });
});

describe('formatAmount (half-up, once, to the minor unit)', () => {
  it.each([
    ['0.005', 'USD', '0.01'],
    ['0.004999999999', 'USD', '0.00'],
    ['0.125', 'USD', '0.13'],
    ['49', 'USD', '49.00'],
    ['4162.5', 'KRW', '4163'],
    ['4162.499999999999', 'KRW', '4162'],
    ['0.7775', 'BHD', '0.778'],
    ['0.7774', 'BHD', '0.777'],
    ['1.23455', 'CLF', '1.2346'],
    ['-0.005', 'USD', '-0.01'],
    ['-0.001', 'USD', '0.00'],
    ['-0.4', 'JPY', '0'],
    ['10000000000000000000000000', 'USD', '10000000000000000000000000.00'],
    ['0.000000000001', 'EUR', '0.00'],
  ])('%s %s -> %s', (amount, currency, expected) => {
    expect(formatAmount(new Decimal(amount), currency)).toBe(expected);
  });

  it('roundToCurrency returns a Decimal rounded half-up, never -0', () => {
    expect(roundToCurrency(new Decimal('2.675'), 'USD').toString()).toBe('2.68');
    expect(roundToCurrency(new Decimal('-0.001'), 'USD').isNegative()).toBe(false);
  });

  it('throws on an unknown currency', () => {
    expect(() => formatAmount(new Decimal(1), 'usd')).toThrow('Unknown ISO 4217 currency code: usd');
    expect(() => roundToCurrency(new Decimal(1), 'ZZZ')).toThrow(RangeError);
  });
});
