import { BillableSubscription, duePeriods } from './due-periods';

const d = (iso: string) => new Date(iso);
const starts = (sub: BillableSubscription, asOf: string, graceMs = 0) =>
  [...duePeriods(sub, d(asOf), graceMs)].map((p) => [p.start.toISOString(), p.end.toISOString()]);

const monthly = (over: Partial<BillableSubscription> = {}): BillableSubscription => ({
  startAt: d('2025-01-31T10:00:00Z'),
  endsAt: null,
  interval: 'month',
  lastInvoicedStart: null,
  ...over,
  phases: over.phases ?? [{ planId: 'plan', from: over.startAt ?? d('2025-01-31T10:00:00Z') }],
});

describe('duePeriods', () => {
  it('lists every ended period oldest first, month-end anchored', () => {
    expect(starts(monthly(), '2025-04-30T10:00:00Z')).toEqual([
      ['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z'],
      ['2025-02-28T10:00:00.000Z', '2025-03-31T10:00:00.000Z'],
      ['2025-03-31T10:00:00.000Z', '2025-04-30T10:00:00.000Z'],
    ]);
  });

  it('leaves a period that ends one millisecond after asOf', () => {
    expect(starts(monthly(), '2025-02-28T09:59:59.999Z')).toEqual([]);
  });

  it('continues after the last invoiced period', () => {
    const sub = monthly({ lastInvoicedStart: d('2025-02-28T10:00:00Z') });
    expect(starts(sub, '2025-05-01T00:00:00Z')).toEqual([
      ['2025-03-31T10:00:00.000Z', '2025-04-30T10:00:00.000Z'],
    ]);
  });

  it('waits for the grace period after the end', () => {
    const hour = 3_600_000;
    expect(starts(monthly(), '2025-02-28T10:59:59Z', hour)).toEqual([]);
    expect(starts(monthly(), '2025-02-28T11:00:00Z', hour)).toHaveLength(1);
  });

  it('ends with a short last period at endsAt and nothing after', () => {
    const sub = monthly({ endsAt: d('2025-03-15T00:00:00Z') });
    expect(starts(sub, '2026-01-01T00:00:00Z')).toEqual([
      ['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z'],
      ['2025-02-28T10:00:00.000Z', '2025-03-15T00:00:00.000Z'],
    ]);
    const last = [...duePeriods(sub, d('2026-01-01T00:00:00Z'), 0)][1];
    expect(last.fullEnd.toISOString()).toBe('2025-03-31T10:00:00.000Z');
  });

  it('has no period after an end on a period boundary, and none for an end at the start', () => {
    expect(starts(monthly({ endsAt: d('2025-02-28T10:00:00Z') }), '2026-01-01T00:00:00Z')).toHaveLength(1);
    expect(starts(monthly({ endsAt: d('2025-01-31T10:00:00Z') }), '2026-01-01T00:00:00Z')).toEqual([]);
  });

  it('bills the two parts of a period a change "now" cut, each under its plan, and keeps the anchor', () => {
    const sub = monthly({
      phases: [
        { planId: 'old', from: d('2025-01-31T10:00:00Z') },
        { planId: 'new', from: d('2025-03-10T00:00:00Z') },
      ],
    });
    const due = [...duePeriods(sub, d('2025-04-30T10:00:00Z'), 0)].map((p) => [
      p.planId,
      p.start.toISOString(),
      p.end.toISOString(),
      p.fullStart.toISOString(),
      p.fullEnd.toISOString(),
    ]);
    expect(due).toEqual([
      ['old', '2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z', '2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z'],
      ['old', '2025-02-28T10:00:00.000Z', '2025-03-10T00:00:00.000Z', '2025-02-28T10:00:00.000Z', '2025-03-31T10:00:00.000Z'],
      ['new', '2025-03-10T00:00:00.000Z', '2025-03-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z', '2025-03-31T10:00:00.000Z'],
      ['new', '2025-03-31T10:00:00.000Z', '2025-04-30T10:00:00.000Z', '2025-03-31T10:00:00.000Z', '2025-04-30T10:00:00.000Z'],
    ]);
    // After the old part was invoiced, the new part is next.
    expect(starts({ ...sub, lastInvoicedStart: d('2025-02-28T10:00:00Z') }, '2025-04-01T00:00:00Z')).toEqual([
      ['2025-03-10T00:00:00.000Z', '2025-03-31T10:00:00.000Z'],
    ]);
  });
});
