import Decimal from 'decimal.js';
import { ExactDecimal } from './exact-decimal';

/**
 * Share of `amount` for the part of a period actually used, to the second
 * (a short last period pays only its own seconds). Multiplies before dividing
 * so the only inexact step is a single division at ExactDecimal's 1000-digit
 * precision; the result is left unrounded for the invoice line to round once.
 */
export function prorate(
  amount: Decimal,
  usedSeconds: number | bigint,
  periodSeconds: number | bigint,
): Decimal {
  const used = toSeconds(usedSeconds, 'usedSeconds');
  const period = toSeconds(periodSeconds, 'periodSeconds');
  if (period === 0n) {
    throw new RangeError('periodSeconds must be greater than 0');
  }
  if (used > period) {
    throw new RangeError(`usedSeconds (${used}) must not exceed periodSeconds (${period})`);
  }
  return new ExactDecimal(amount)
    .times(used.toString())
    .dividedBy(period.toString());
}

function toSeconds(value: number | bigint, name: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`${name} must be a whole number of seconds, got ${value}`);
  }
  const seconds = BigInt(value);
  if (seconds < 0n) {
    throw new RangeError(`${name} must not be negative, got ${seconds}`);
  }
  return seconds;
}
