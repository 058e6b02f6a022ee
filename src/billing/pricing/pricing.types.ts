/**
 * Shape of a plan charge's optional `pricing` JSON. Money values are decimal
 * strings (never JSON numbers) so no price passes through a binary float.
 * Validate untrusted input with validatePricing() before treating it as these.
 */
export type PricingModel = 'per_unit' | 'graduated' | 'volume' | 'package';

export interface Tier {
  /** Inclusive upper bound; null only on the last (open-ended) tier. */
  upTo: number | null;
  unitPrice: string;
  /** Defaults to "0". */
  flatFee?: string;
}

export interface PerUnitPricing {
  model: 'per_unit';
  unitPrice: string;
}

export interface GraduatedPricing {
  model: 'graduated';
  tiers: Tier[];
}

export interface VolumePricing {
  model: 'volume';
  tiers: Tier[];
}

export interface PackagePricing {
  model: 'package';
  packageSize: number;
  packagePrice: string;
}

export type Pricing =
  | PerUnitPricing
  | GraduatedPricing
  | VolumePricing
  | PackagePricing;
