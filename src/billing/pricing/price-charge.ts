import Decimal from 'decimal.js';
import { ExactDecimal } from './exact-decimal';
import { Pricing, Tier } from './pricing.types';
import { toQuantity } from './quantity';

/**
 * Exact, UNROUNDED amount for one charge. Rounding to the currency happens
 * once per invoice line (roundToCurrency), so never round here: rounding each
 * tier would let per-tier errors add up.
 *
 * Assumes `pricing` passed validatePricing(). A charge without pricing only
 * limits usage and costs nothing; a quantity of 0 costs nothing in every model
 * (no tier is entered, so no flat fee is due).
 */
export function priceCharge(
  pricing: Pricing | null | undefined,
  quantity: bigint | number | string,
): Decimal {
  const units = toQuantity(quantity);
  if (!pricing || units.isZero()) {
    return new ExactDecimal(0);
  }
  switch (pricing.model) {
    case 'per_unit':
      return units.times(pricing.unitPrice);
    case 'graduated':
      return priceGraduated(pricing.tiers, units);
    case 'volume':
      return priceVolume(pricing.tiers, units);
    case 'package':
      // Every started package is billed in full (1001 units of 1000 = 2 packages).
      return units.dividedBy(pricing.packageSize).ceil().times(pricing.packagePrice);
    default:
      throw new Error(`Unknown pricing model: ${(pricing as { model: unknown }).model}`);
  }
}

/** Each tier prices only the units inside it; its flat fee is due once any unit lands in it. */
function priceGraduated(tiers: Tier[], units: Decimal): Decimal {
  let total = new ExactDecimal(0);
  let lowerBound = new ExactDecimal(0); // units already priced by earlier tiers
  for (const tier of tiers) {
    if (units.lessThanOrEqualTo(lowerBound)) break;
    const upper = tier.upTo === null ? units : ExactDecimal.min(units, tier.upTo);
    const unitsInTier = upper.minus(lowerBound);
    total = total
      .plus(unitsInTier.times(tier.unitPrice))
      .plus(tier.flatFee ?? '0');
    if (tier.upTo === null) break;
    lowerBound = new ExactDecimal(tier.upTo);
  }
  return total;
}

/** The tier the total reaches prices every unit, plus that tier's flat fee. */
function priceVolume(tiers: Tier[], units: Decimal): Decimal {
  const tier = tiers.find((t) => t.upTo === null || units.lessThanOrEqualTo(t.upTo));
  if (!tier) {
    // Unreachable for validated pricing: the last tier is always open-ended.
    throw new Error('Volume pricing has no tier for the quantity');
  }
  return units.times(tier.unitPrice).plus(tier.flatFee ?? '0');
}
