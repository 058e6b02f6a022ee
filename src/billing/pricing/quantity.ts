import Decimal from 'decimal.js';
import { ExactDecimal } from './exact-decimal';

/** Quantities are stored in Postgres bigint columns, so that is the ceiling. */
export const MAX_QUANTITY = 2n ** 63n - 1n;

/**
 * Converts a metered quantity to an exact Decimal. Numbers beyond
 * Number.MAX_SAFE_INTEGER are rejected rather than accepted, because by the
 * time they reach us they may already have been rounded by a float; large
 * values must arrive as bigint or a digit string.
 */
export function toQuantity(quantity: bigint | number | string): Decimal {
  let value: bigint;
  if (typeof quantity === 'bigint') {
    value = quantity;
  } else if (typeof quantity === 'number') {
    if (!Number.isSafeInteger(quantity)) {
      throw new RangeError(`Quantity must be a safe whole number, got ${quantity}`);
    }
    value = BigInt(quantity);
  } else if (typeof quantity === 'string' && /^\d+$/.test(quantity)) {
    value = BigInt(quantity);
  } else {
    throw new RangeError(`Quantity must be a whole number, got ${String(quantity)}`);
  }
  if (value < 0n || value > MAX_QUANTITY) {
    throw new RangeError(`Quantity must be between 0 and ${MAX_QUANTITY}, got ${value}`);
  }
  return new ExactDecimal(value.toString());
}
