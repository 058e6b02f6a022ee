import { formatAmount } from './currency';
import { priceCharge } from './price-charge';
import { GraduatedPricing, PackagePricing, Pricing, VolumePricing } from './pricing.types';

const MAX_SAFE = 9007199254740991; // 2^53 - 1
const MAX_BIGINT = 9223372036854775807n; // 2^63 - 1

const price = (pricing: Pricing | null | undefined, quantity: bigint | number | string) =>
  priceCharge(pricing, quantity).toString();

/*
 * Stripe, "Set up tiered pricing":
 * https://docs.stripe.com/subscriptions/pricing-models/tiered-pricing
 * Tiers: fonts 1-5 at 7 USD, 6-10 at 6.5 USD, 11+ at 6 USD.
 * Volume table published there: 1 -> 7, 5 -> 35, 6 -> 39 (6 × 6.5), 20 -> 120, 25 -> 150.
 * The graduated totals below are computed from the same published tiers
 * (5×7 + 5×6.5 + n×6), e.g. 6 fonts = 35 + 6.5 = 41.5.
 */
const stripeTiers = [
  { upTo: 5, unitPrice: '7' },
  { upTo: 10, unitPrice: '6.5' },
  { upTo: null, unitPrice: '6' },
];

describe('priceCharge', () => {
  describe('no pricing / zero quantity', () => {
    it('costs 0 without pricing (the charge only limits)', () => {
      expect(price(null, 1000)).toBe('0');
      expect(price(undefined, 1000)).toBe('0');
    });

    it.each<[string, Pricing]>([
      ['per_unit', { model: 'per_unit', unitPrice: '0.002' }],
      ['graduated', { model: 'graduated', tiers: [{ upTo: null, unitPrice: '1', flatFee: '10' }] }],
      ['volume', { model: 'volume', tiers: [{ upTo: null, unitPrice: '1', flatFee: '10' }] }],
      ['package', { model: 'package', packageSize: 1000, packagePrice: '5' }],
    ])('%s with quantity 0 costs 0, no flat fee', (_, pricing) => {
      expect(price(pricing, 0)).toBe('0');
      expect(price(pricing, 0n)).toBe('0');
      expect(price(pricing, '0')).toBe('0');
    });
  });

  describe('per_unit', () => {
    const perUnit: Pricing = { model: 'per_unit', unitPrice: '0.002' };

    it('is quantity × unitPrice', () => {
      expect(price(perUnit, 1000)).toBe('2');
      expect(price(perUnit, 1)).toBe('0.002');
    });

    it('keeps 12-decimal prices exact', () => {
      const tiny: Pricing = { model: 'per_unit', unitPrice: '0.000000000001' };
      expect(price(tiny, 1)).toBe('0.000000000001');
      expect(price(tiny, MAX_SAFE)).toBe('9007.199254740991');
    });

    it('stays exact for 2^53-1 and 2^63-1 as number, string and bigint', () => {
      const p: Pricing = { model: 'per_unit', unitPrice: '0.123456789012' };
      // Default decimal.js (20 digits) would give 1111999897981602.1666 here.
      expect(price(p, MAX_SAFE)).toBe('1111999897981602.166594790892');
      expect(price(p, String(MAX_SAFE))).toBe('1111999897981602.166594790892');
      expect(price(p, BigInt(MAX_SAFE))).toBe('1111999897981602.166594790892');
      expect(price(p, MAX_BIGINT)).toBe('1138687895533160744.889361032684');
    });
  });

  describe('graduated', () => {
    it('matches the Stripe Typographic tiers', () => {
      const p: GraduatedPricing = { model: 'graduated', tiers: stripeTiers };
      expect(price(p, 1)).toBe('7');
      expect(price(p, 5)).toBe('35');
      expect(price(p, 6)).toBe('41.5');
      expect(price(p, 10)).toBe('67.5');
      expect(price(p, 11)).toBe('73.5');
      expect(price(p, 20)).toBe('127.5');
      expect(price(p, 25)).toBe('157.5');
    });

    /*
     * Lago, "Graduated" charge model:
     * https://getlago.com/docs/guide/plans/charges/charge-models/graduated
     * "$1 per unit for the first 100 units ..., then $0.50 per unit for the
     * next 100 calls and finally, $0.10 for any additional unit."
     * (the doc gives no total; 250 units = 100 + 50 + 5 = 155)
     */
    it('matches the Lago graduated example', () => {
      const p: GraduatedPricing = {
        model: 'graduated',
        tiers: [
          { upTo: 100, unitPrice: '1' },
          { upTo: 200, unitPrice: '0.50' },
          { upTo: null, unitPrice: '0.10' },
        ],
      };
      expect(price(p, 250)).toBe('155');
    });

    describe('boundaries and flat fees', () => {
      const p: GraduatedPricing = {
        model: 'graduated',
        tiers: [
          { upTo: 100, unitPrice: '1', flatFee: '10' },
          { upTo: 200, unitPrice: '0.5', flatFee: '5' },
          { upTo: null, unitPrice: '0.1' },
        ],
      };

      it.each([
        [1, '11'], // first unit enters tier 1: 1 + fee 10
        [100, '110'], // exactly at upTo: still only tier 1
        [101, '115.5'], // one past: tier 2 fee is due once
        [200, '165'],
        [201, '165.1'], // last open tier
        [MAX_SAFE, '900719925474244.1'], // 165 + (2^53-1 - 200) × 0.1, exact
      ])('%s units -> %s', (quantity, expected) => {
        expect(price(p, quantity)).toBe(expected);
      });
    });
  });

  describe('volume', () => {
    it('matches the Stripe Typographic volume table', () => {
      const p: VolumePricing = { model: 'volume', tiers: stripeTiers };
      expect(price(p, 1)).toBe('7');
      expect(price(p, 5)).toBe('35'); // exactly at upTo
      expect(price(p, 6)).toBe('39'); // one past: every unit at 6.5
      expect(price(p, 10)).toBe('65');
      expect(price(p, 11)).toBe('66');
      expect(price(p, 20)).toBe('120');
      expect(price(p, 25)).toBe('150');
    });

    /*
     * Lago, "Volume" charge model:
     * https://getlago.com/docs/guide/plans/charges/charge-models/volume
     * Tiers 0-10,000 $0.0010, 10,001-50,000 $0.0008, 50,001-100,000 $0.0006,
     * 100,001+ $0.0004, each with a $10 fixed fee:
     * "65,000 API calls would cost 65,000 x $0.0006 + $10 = $49."
     */
    const lago: VolumePricing = {
      model: 'volume',
      tiers: [
        { upTo: 10000, unitPrice: '0.0010', flatFee: '10' },
        { upTo: 50000, unitPrice: '0.0008', flatFee: '10' },
        { upTo: 100000, unitPrice: '0.0006', flatFee: '10' },
        { upTo: null, unitPrice: '0.0004', flatFee: '10' },
      ],
    };

    it('matches the Lago volume example ($49.00)', () => {
      expect(price(lago, 65000)).toBe('49');
      expect(formatAmount(priceCharge(lago, 65000), 'USD')).toBe('49.00');
    });

    it.each([
      [10000, '20'],
      [10001, '18.0008'],
      [100001, '50.0004'],
      [MAX_SAFE, '3602879701906.3964'],
    ])('%s units -> %s', (quantity, expected) => {
      expect(price(lago, quantity)).toBe(expected);
    });
  });

  describe('package', () => {
    const p: PackagePricing = { model: 'package', packageSize: 1000, packagePrice: '5' };

    it.each([
      [1, '5'],
      [1000, '5'],
      [1001, '10'],
      [MAX_BIGINT, '46116860184273880'], // ceil((2^63-1)/1000) × 5
    ])('%s units -> %s (started packages billed in full)', (quantity, expected) => {
      expect(price(p, quantity)).toBe(expected);
    });

    /*
     * Lago, "Package" charge model:
     * https://getlago.com/docs/guide/plans/charges/charge-models/package
     * "$5 per 100 units and offer the first 100 units ... 201 units would cost
     * $0 (first 100 units) + $5 (next 100 units) + $5 (last unit) = $10."
     * This model has no free units, so the 101 billable units are priced.
     */
    it('matches the Lago package example', () => {
      const lago: PackagePricing = { model: 'package', packageSize: 100, packagePrice: '5' };
      expect(price(lago, 201 - 100)).toBe('10');
      expect(price(lago, 201)).toBe('15'); // without the free allowance
    });
  });

  describe('rounded once per line', () => {
    it.each([
      ['0.000005', 1000, 'USD', '0.01'], // exact 0.005
      ['0.000125', 1000, 'USD', '0.13'], // exact 0.125
      ['0.8325', 5000, 'KRW', '4163'], // exact 4162.5
      ['0.0007775', 1000, 'BHD', '0.778'], // exact 0.7775
    ])('%s × %s in %s -> %s', (unitPrice, quantity, currency, expected) => {
      const amount = priceCharge({ model: 'per_unit', unitPrice }, quantity);
      expect(formatAmount(amount, currency)).toBe(expected);
    });

    it('does not round tier subtotals (3 × 0.004 + 3 × 0.001 = 0.015 -> 0.02)', () => {
      const p: GraduatedPricing = {
        model: 'graduated',
        tiers: [
          { upTo: 3, unitPrice: '0.004' },
          { upTo: null, unitPrice: '0.001' },
        ],
      };
      expect(price(p, 6)).toBe('0.015');
      expect(formatAmount(priceCharge(p, 6), 'USD')).toBe('0.02');
    });
  });

  describe('invalid quantities', () => {
    it.each([-1, 1.5, MAX_SAFE + 2, NaN, '1.5', '-1', '1e3', '', ' 1', -1n, MAX_BIGINT + 1n, String(MAX_BIGINT + 1n)])(
      'rejects %p',
      (quantity) => {
        expect(() => priceCharge({ model: 'per_unit', unitPrice: '1' }, quantity)).toThrow(RangeError);
      },
    );
  });
});
