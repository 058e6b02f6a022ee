import Decimal from 'decimal.js';

/**
 * ISO 4217 active currency codes grouped by minor unit (the "E" column of the
 * ISO 4217 list maintained by SIX, https://www.six-group.com/en/products-services/financial-information/data-standards.html).
 *
 * Deliberately excluded: codes whose minor unit is "N.A." (precious metals
 * XAU/XAG/XPD/XPT, XDR, XSU, XUA, bond-market units XBA–XBD, test code XTS,
 * no-currency XXX). They have no minor unit to round to, so an invoice in them
 * cannot be rounded and they are treated as unknown.
 *
 * Codes in a transition period (ANG→XCG, SLL→SLE, ZWL→ZWG, BGN) stay listed so
 * existing plans keep working; the ISO minor unit, not any processor's payout
 * convention, decides the digits (e.g. HUF and TWD are 2 here).
 */
const MINOR_UNITS_BY_GROUP: Record<number, string> = {
  0: 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF',
  2:
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV ' +
    'BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE ' +
    'CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD ' +
    'HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD ' +
    'LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN ' +
    'NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG ' +
    'SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD ' +
    'TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL',
  3: 'BHD IQD JOD KWD LYD OMR TND',
  4: 'CLF UYW',
};

const MINOR_UNITS: ReadonlyMap<string, number> = new Map(
  Object.entries(MINOR_UNITS_BY_GROUP).flatMap(([digits, codes]) =>
    codes.split(' ').map((code) => [code, Number(digits)] as const),
  ),
);

/**
 * Minor-unit digits for an ISO 4217 code, or undefined if unknown. Codes are
 * matched exactly (upper case, as ISO publishes them) so a plan can never be
 * stored under two spellings of the same currency.
 */
export function minorUnits(currency: string): number | undefined {
  return MINOR_UNITS.get(currency);
}

export function isCurrency(code: string): boolean {
  return MINOR_UNITS.has(code);
}

/**
 * Rounds half-up to the currency's minor unit. decimal.js ROUND_HALF_UP sends
 * ties away from zero, so a credit of -0.005 USD mirrors a charge of 0.005 USD
 * (both become 0.01 in magnitude). Apply this once per invoice line, on the
 * exact amount, never to intermediate tier subtotals, so rounding error cannot
 * accumulate across tiers.
 */
export function roundToCurrency(amount: Decimal, currency: string): Decimal {
  const digits = minorUnits(currency);
  if (digits === undefined) {
    throw new RangeError(`Unknown ISO 4217 currency code: ${currency}`);
  }
  const rounded = amount.toDecimalPlaces(digits, Decimal.ROUND_HALF_UP);
  // A tiny negative amount rounds to -0; an invoice must never show "-0.00".
  return rounded.isZero() ? rounded.abs() : rounded;
}

/**
 * Fixed-digit string for an amount ("49.00", "4163", "0.778"). toFixed() is
 * used because, unlike toString(), it never switches to exponent notation.
 */
export function formatAmount(amount: Decimal, currency: string): string {
  const rounded = roundToCurrency(amount, currency); // throws on unknown code
  return rounded.toFixed(minorUnits(currency) as number);
}
