import { PricingModel } from './pricing.types';

const MODELS: readonly PricingModel[] = ['per_unit', 'graduated', 'volume', 'package'];

// Unknown keys are rejected, not ignored: a typo such as "flatfee" would
// otherwise silently price the tier with no fee.
const ALLOWED_KEYS: Record<PricingModel, readonly string[]> = {
  per_unit: ['model', 'unitPrice'],
  graduated: ['model', 'tiers'],
  volume: ['model', 'tiers'],
  package: ['model', 'packageSize', 'packagePrice'],
};
const TIER_KEYS: readonly string[] = ['upTo', 'unitPrice', 'flatFee'];

/**
 * Checks untrusted JSON against the pricing contract. Returns one message per
 * problem, each starting with the offending field's path, so an API can
 * report them all at once; an empty list means the input is a valid Pricing.
 */
export function validatePricing(input: unknown, path = 'pricing'): string[] {
  if (!isPlainObject(input)) {
    return [`${path} must be an object`];
  }
  const model = input.model;
  if (typeof model !== 'string' || !MODELS.includes(model as PricingModel)) {
    return [`${path}.model must be one of ${MODELS.join(', ')}`];
  }
  const errors = unknownKeys(input, ALLOWED_KEYS[model as PricingModel], path);

  switch (model as PricingModel) {
    case 'per_unit':
      pushIf(errors, validateDecimalString(input.unitPrice, `${path}.unitPrice`));
      break;
    case 'package':
      if (!isWholeNumberAtLeastOne(input.packageSize)) {
        errors.push(`${path}.packageSize must be a whole number >= 1`);
      }
      pushIf(errors, validateDecimalString(input.packagePrice, `${path}.packagePrice`));
      break;
    case 'graduated':
    case 'volume':
      errors.push(...validateTiers(input.tiers, `${path}.tiers`));
      break;
  }
  return errors;
}

/**
 * A money value: a JSON string of digits with an optional fraction, at most
 * `maxDecimals` places. JSON numbers are refused because they may already
 * have been through a binary float; exponent notation and signs are refused
 * so every stored price reads the same way it is billed.
 */
export function validateDecimalString(
  value: unknown,
  field: string,
  maxDecimals = 12,
): string | null {
  if (typeof value !== 'string') {
    const got = value === null ? 'null' : typeof value;
    return `${field} must be a decimal string such as "0.002", got ${got}`;
  }
  if (value === '') return `${field} must not be empty`;
  if (value.startsWith('-')) return `${field} must not be negative`;
  if (/e/i.test(value)) return `${field} must not use exponent notation`;
  const match = /^\d+(?:\.(\d+))?$/.exec(value);
  if (!match) {
    return `${field} must be a non-negative decimal string such as "0.002"`;
  }
  const decimals = match[1]?.length ?? 0;
  if (decimals > maxDecimals) {
    return `${field} must have at most ${maxDecimals} decimal places`;
  }
  return null;
}

function validateTiers(tiers: unknown, path: string): string[] {
  if (!Array.isArray(tiers) || tiers.length === 0) {
    return [`${path} must be a non-empty array`];
  }
  const errors: string[] = [];
  let previousUpTo: number | undefined;
  tiers.forEach((tier: unknown, i) => {
    const tierPath = `${path}[${i}]`;
    if (!isPlainObject(tier)) {
      errors.push(`${tierPath} must be an object`);
      return;
    }
    errors.push(...unknownKeys(tier, TIER_KEYS, tierPath));

    const isLast = i === tiers.length - 1;
    const upTo = tier.upTo;
    if (isLast) {
      if (upTo !== null) errors.push(`${tierPath}.upTo must be null on the last tier`);
    } else if (upTo === null) {
      errors.push(`${tierPath}.upTo may only be null on the last tier`);
    } else if (!isWholeNumberAtLeastOne(upTo)) {
      errors.push(`${tierPath}.upTo must be a whole number >= 1`);
    } else {
      if (previousUpTo !== undefined && upTo <= previousUpTo) {
        errors.push(`${tierPath}.upTo must be greater than the previous tier's upTo`);
      }
      previousUpTo = upTo;
    }

    pushIf(errors, validateDecimalString(tier.unitPrice, `${tierPath}.unitPrice`));
    if (tier.flatFee !== undefined) {
      pushIf(errors, validateDecimalString(tier.flatFee, `${tierPath}.flatFee`));
    }
  });
  return errors;
}

function unknownKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
): string[] {
  return Object.keys(obj)
    .filter((key) => !allowed.includes(key))
    .map((key) => `${path}.${key} is not an allowed field`);
}

// Safe-integer bound keeps the value exact as a JS number and inside Postgres bigint.
function isWholeNumberAtLeastOne(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pushIf(errors: string[], error: string | null): void {
  if (error !== null) errors.push(error);
}
