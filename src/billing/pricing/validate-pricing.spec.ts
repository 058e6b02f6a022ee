import { validateDecimalString, validatePricing } from './validate-pricing';

const P = 'charges[0].pricing';

describe('validatePricing', () => {
  describe('valid pricing', () => {
    it.each<[string, unknown]>([
      ['per_unit', { model: 'per_unit', unitPrice: '0.002' }],
      ['per_unit with 12 decimals', { model: 'per_unit', unitPrice: '0.000000000001' }],
      ['package', { model: 'package', packageSize: 1000, packagePrice: '5' }],
      ['volume, single open tier', { model: 'volume', tiers: [{ upTo: null, unitPrice: '1' }] }],
      [
        'graduated with flat fees',
        {
          model: 'graduated',
          tiers: [
            { upTo: 100, unitPrice: '1', flatFee: '0' },
            { upTo: 101, unitPrice: '0.5', flatFee: '2.50' },
            { upTo: null, unitPrice: '0' },
          ],
        },
      ],
    ])('%s', (_, input) => {
      expect(validatePricing(input, P)).toEqual([]);
    });
  });

  it('defaults the path to "pricing"', () => {
    expect(validatePricing(null)).toEqual(['pricing must be an object']);
  });

  it.each<[unknown]>([[null], [[]], ['per_unit'], [42]])('rejects non-object %p', (input) => {
    expect(validatePricing(input, P)).toEqual([`${P} must be an object`]);
  });

  it.each<[unknown]>([[{}], [{ model: 'tiered' }], [{ model: 1 }]])('rejects model of %p', (input) => {
    expect(validatePricing(input, P)).toEqual([
      `${P}.model must be one of per_unit, graduated, volume, package`,
    ]);
  });

  it('rejects unknown keys in pricing and in tiers', () => {
    expect(
      validatePricing(
        {
          model: 'graduated',
          currency: 'USD',
          tiers: [{ upTo: null, unitPrice: '1', flatfee: '2' }],
        },
        P,
      ),
    ).toEqual([
      `${P}.currency is not an allowed field`,
      `${P}.tiers[0].flatfee is not an allowed field`,
    ]);
    // a key valid for another model is still unknown here
    expect(validatePricing({ model: 'per_unit', unitPrice: '1', tiers: [] }, P)).toEqual([
      `${P}.tiers is not an allowed field`,
    ]);
  });

  it('requires per_unit unitPrice', () => {
    expect(validatePricing({ model: 'per_unit' }, P)).toEqual([
      `${P}.unitPrice must be a decimal string such as "0.002", got undefined`,
    ]);
  });

  it.each<[unknown]>([[0], [1.5], [-1], ['1000'], [null], [undefined]])(
    'rejects packageSize %p',
    (packageSize) => {
      expect(validatePricing({ model: 'package', packageSize, packagePrice: '5' }, P)).toEqual([
        `${P}.packageSize must be a whole number >= 1`,
      ]);
    },
  );

  describe('tiers', () => {
    const tiered = (tiers: unknown) => validatePricing({ model: 'volume', tiers }, P);

    it.each<[unknown]>([[[]], [undefined], [{}]])('must be a non-empty array, not %p', (tiers) => {
      expect(tiered(tiers)).toEqual([`${P}.tiers must be a non-empty array`]);
    });

    it('rejects non-ascending upTo', () => {
      expect(
        tiered([
          { upTo: 100, unitPrice: '1' },
          { upTo: 100, unitPrice: '1' },
          { upTo: null, unitPrice: '1' },
        ]),
      ).toEqual([`${P}.tiers[1].upTo must be greater than the previous tier's upTo`]);
      expect(
        validatePricing(
          {
            model: 'graduated',
            tiers: [
              { upTo: 10, unitPrice: '1' },
              { upTo: 5, unitPrice: '1' },
              { upTo: null, unitPrice: '1' },
            ],
          },
          P,
        ),
      ).toEqual([`${P}.tiers[1].upTo must be greater than the previous tier's upTo`]);
    });

    it('requires null upTo on the last tier only', () => {
      expect(tiered([{ upTo: 100, unitPrice: '1' }])).toEqual([
        `${P}.tiers[0].upTo must be null on the last tier`,
      ]);
      expect(tiered([{ unitPrice: '1' }])).toEqual([`${P}.tiers[0].upTo must be null on the last tier`]);
      expect(
        tiered([
          { upTo: null, unitPrice: '1' },
          { upTo: null, unitPrice: '1' },
        ]),
      ).toEqual([`${P}.tiers[0].upTo may only be null on the last tier`]);
    });

    it.each<[unknown]>([[0], [1.5], [-5], ['100'], [undefined], [2 ** 53]])(
      'rejects upTo %p before the last tier',
      (upTo) => {
        expect(
          tiered([
            { upTo, unitPrice: '1' },
            { upTo: null, unitPrice: '1' },
          ]),
        ).toEqual([`${P}.tiers[0].upTo must be a whole number >= 1`]);
      },
    );

    it('requires unitPrice, allows flatFee to be omitted, validates both', () => {
      expect(
        tiered([
          { upTo: 1, flatFee: '1' },
          { upTo: null, unitPrice: '1', flatFee: 2 },
        ]),
      ).toEqual([
        `${P}.tiers[0].unitPrice must be a decimal string such as "0.002", got undefined`,
        `${P}.tiers[1].flatFee must be a decimal string such as "0.002", got number`,
      ]);
    });

    it('rejects a tier that is not an object', () => {
      expect(tiered(['x', { upTo: null, unitPrice: '1' }])).toEqual([`${P}.tiers[0] must be an object`]);
    });
  });
});

describe('validateDecimalString', () => {
  const F = 'plan.baseFee';

  it.each(['0', '49', '49.00', '0.002', '0.000000000001', '123456789.123456789012'])(
    'accepts %p',
    (value) => {
      expect(validateDecimalString(value, F)).toBeNull();
    },
  );

  it.each<[unknown, string]>([
    [0.002, `${F} must be a decimal string such as "0.002", got number`],
    [null, `${F} must be a decimal string such as "0.002", got null`],
    ['', `${F} must not be empty`],
    ['-1', `${F} must not be negative`],
    ['-0', `${F} must not be negative`],
    ['1e-3', `${F} must not use exponent notation`],
    ['1E3', `${F} must not use exponent notation`],
    ['0.0000000000001', `${F} must have at most 12 decimal places`],
    ['.5', `${F} must be a non-negative decimal string such as "0.002"`],
    ['5.', `${F} must be a non-negative decimal string such as "0.002"`],
    ['+1', `${F} must be a non-negative decimal string such as "0.002"`],
    [' 1', `${F} must be a non-negative decimal string such as "0.002"`],
    ['1,5', `${F} must be a non-negative decimal string such as "0.002"`],
    ['NaN', `${F} must be a non-negative decimal string such as "0.002"`],
  ])('rejects %p', (value, message) => {
    expect(validateDecimalString(value, F)).toBe(message);
  });

  it('honours a custom maxDecimals', () => {
    expect(validateDecimalString('1.234', F, 2)).toBe(`${F} must have at most 2 decimal places`);
    expect(validateDecimalString('1.23', F, 2)).toBeNull();
  });
});
