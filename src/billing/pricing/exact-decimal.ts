import Decimal from 'decimal.js';

/**
 * Decimal constructor used for all pricing arithmetic.
 *
 * WHY a clone: decimal.js defaults to 20 significant digits and silently rounds
 * products to that, e.g. 9007199254740991 × 0.123456789012 would lose its last
 * 12 digits. A bigint quantity (19 digits) times a 12-decimal price needs far
 * fewer than 1000 digits, so multiplication and addition here are exact. The
 * only inexact operation is proration's division, which at 1000 digits is far
 * below any currency's minor unit.
 *
 * WHY the exponent limits: amounts are stored and compared as strings, so
 * toString() must never switch to exponent notation ("1e-7").
 *
 * Instances are still `Decimal` (isDecimal/instanceof hold), so callers type
 * them as Decimal. Callers combining them with default-constructor Decimals get
 * the default precision for those operations.
 */
export const ExactDecimal = Decimal.clone({
  precision: 1000,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});
