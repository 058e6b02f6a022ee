import { ChargeTerms, LedgerQuantity, draftInvoice } from './invoice-draft';

const period = (start: string, end: string, fullEnd = end, fullStart = start) => ({
  start: new Date(start),
  end: new Date(end),
  fullStart: new Date(fullStart),
  fullEnd: new Date(fullEnd),
});
const january = period('2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z');
const charge = (key: string, pricing: ChargeTerms['pricing']): ChargeTerms => ({ featureId: `id-${key}`, featureKey: key, pricing });
const ledger = (entries: Record<string, string>) =>
  new Map<string, LedgerQuantity>(Object.entries(entries).map(([key, quantity]) => [`id-${key}`, { featureKey: key, quantity }]));

describe('draftInvoice', () => {
  it('bills the base fee, then every charge in plan order with its ledger quantity', () => {
    const draft = draftInvoice({
      currency: 'USD',
      baseFee: '49.000000000000',
      charges: [
        charge('calls', { model: 'per_unit', unitPrice: '0.002' }),
        charge('seats', null),
        charge('gb', { model: 'package', packageSize: 10, packagePrice: '5' }),
      ],
      quantities: ledger({ calls: '12345', gb: '11' }),
      period: january,
    });
    expect(draft.lines).toEqual([
      { type: 'base_fee', amount: '49.00' },
      { type: 'usage', featureId: 'id-calls', feature: 'calls', quantity: '12345', amount: '24.69' },
      { type: 'usage', featureId: 'id-seats', feature: 'seats', quantity: '0', amount: '0.00' },
      { type: 'usage', featureId: 'id-gb', feature: 'gb', quantity: '11', amount: '10.00' },
    ]);
    expect(draft.total).toBe('83.69');
  });

  it('rounds each line once and totals the rounded lines', () => {
    // Each line is 0.005 exactly: half-up makes each 0.01, so the total is 0.02, not round(0.010) = 0.01.
    const draft = draftInvoice({
      currency: 'USD',
      baseFee: '0',
      charges: [charge('a', { model: 'per_unit', unitPrice: '0.005' }), charge('b', { model: 'per_unit', unitPrice: '0.005' })],
      quantities: ledger({ a: '1', b: '1' }),
      period: january,
    });
    expect(draft.lines.map((l) => l.amount)).toEqual(['0.01', '0.01']);
    expect(draft.total).toBe('0.02');
  });

  it('leaves out a base fee of zero and writes KRW without decimals', () => {
    const draft = draftInvoice({
      currency: 'KRW',
      baseFee: '0',
      charges: [charge('calls', { model: 'per_unit', unitPrice: '0.5' })],
      quantities: ledger({ calls: '8325' }),
      period: january,
    });
    expect(draft.lines).toEqual([{ type: 'usage', featureId: 'id-calls', feature: 'calls', quantity: '8325', amount: '4163' }]);
    expect(draft.total).toBe('4163');
  });

  it('prorates the base fee of a short last period by whole seconds', () => {
    // 30-day period, ended after 10 days 12 hours and 0.9 s: 907,200 of 2,592,000 seconds.
    const short = period('2025-04-01T00:00:00Z', '2025-04-11T12:00:00.900Z', '2025-05-01T00:00:00Z');
    const draft = draftInvoice({ currency: 'USD', baseFee: '30', charges: [], quantities: new Map(), period: short });
    // 30 × 907200 / 2592000 = 10.5
    expect(draft.lines).toEqual([{ type: 'base_fee', amount: '10.50' }]);
    expect(draft.total).toBe('10.50');
  });

  it('shows ledger usage of a feature the plan does not charge, at no cost', () => {
    const draft = draftInvoice({ currency: 'USD', baseFee: '0', charges: [], quantities: ledger({ stray: '3' }), period: january });
    expect(draft.lines).toEqual([{ type: 'usage', featureId: 'id-stray', feature: 'stray', quantity: '3', amount: '0.00' }]);
    expect(draft.unchargedFeatures).toEqual(['id-stray']);
  });

  it('prorates the base fee of the part after a plan change "now" against the whole period', () => {
    // The change at 2025-04-21T00:00:00.500Z: the new part runs 9 days 23 h 59 m 59.5 s, whole
    // seconds 863,999 of the period's 2,592,000. 30 × 863999 / 2592000 = 9.99998842… → 10.00.
    const part = period('2025-04-21T00:00:00.500Z', '2025-05-01T00:00:00Z', '2025-05-01T00:00:00Z', '2025-04-01T00:00:00Z');
    const draft = draftInvoice({ currency: 'USD', baseFee: '30', charges: [], quantities: new Map(), period: part });
    expect(draft.lines).toEqual([{ type: 'base_fee', amount: '10.00' }]);
  });
});
