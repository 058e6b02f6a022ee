import { periodAt, periodByIndex, periodStart } from './billing-period';

const d = (iso: string) => new Date(iso);
const iso = (date: Date) => date.toISOString();

describe('billing periods', () => {
  it('keeps the anchor day of month, clamped to short months and never carried over', () => {
    const anchor = d('2025-01-31T10:00:00.000Z');
    const starts = [0, 1, 2, 3, 4, 12, 13].map((k) => iso(periodStart(anchor, 'month', k)));
    expect(starts).toEqual([
      '2025-01-31T10:00:00.000Z',
      '2025-02-28T10:00:00.000Z',
      '2025-03-31T10:00:00.000Z',
      '2025-04-30T10:00:00.000Z',
      '2025-05-31T10:00:00.000Z',
      '2026-01-31T10:00:00.000Z',
      '2026-02-28T10:00:00.000Z',
    ]);
  });

  it('ends February on the 29th in a leap year', () => {
    const first = periodByIndex(d('2024-01-31T00:00:00Z'), 'month', 0);
    expect(iso(first.end)).toBe('2024-02-29T00:00:00.000Z');
  });

  it('clamps a Feb 29 yearly anchor to Feb 28 and returns to the 29th in leap years', () => {
    const anchor = d('2024-02-29T00:00:00Z');
    expect(iso(periodStart(anchor, 'year', 1))).toBe('2025-02-28T00:00:00.000Z');
    expect(iso(periodStart(anchor, 'year', 4))).toBe('2028-02-29T00:00:00.000Z');
  });

  it('keeps years before 100 as they are', () => {
    const anchor = d('0001-01-31T00:00:00Z');
    expect(iso(periodStart(anchor, 'month', 1))).toBe('0001-02-28T00:00:00.000Z');
    expect(iso(periodStart(anchor, 'year', 99))).toBe('0100-01-31T00:00:00.000Z');
  });

  it('counts days and weeks in exact UTC days', () => {
    const anchor = d('2025-03-30T00:30:00Z');
    expect(iso(periodStart(anchor, 'day', 1))).toBe('2025-03-31T00:30:00.000Z');
    expect(iso(periodStart(anchor, 'week', 2))).toBe('2025-04-13T00:30:00.000Z');
  });

  it('finds the period containing an instant, start inclusive and end exclusive', () => {
    const anchor = d('2025-01-31T10:00:00Z');
    const atEnd = periodAt(anchor, 'month', d('2025-02-28T10:00:00Z'))!;
    expect(atEnd.index).toBe(1);
    expect(iso(atEnd.start)).toBe('2025-02-28T10:00:00.000Z');
    expect(iso(atEnd.end)).toBe('2025-03-31T10:00:00.000Z');
    const justBefore = periodAt(anchor, 'month', d('2025-02-28T09:59:59.999Z'))!;
    expect(justBefore.index).toBe(0);
    // Same calendar day as the anchor but before its time of day: still the previous period.
    const sameDayEarlier = periodAt(anchor, 'month', d('2025-03-31T09:00:00Z'))!;
    expect(sameDayEarlier.index).toBe(1);
    expect(periodAt(anchor, 'month', d('2025-01-31T09:59:59Z'))).toBeUndefined();
  });

  it('agrees with periodStart for every day of four years', () => {
    for (const anchorIso of ['2024-01-31T23:59:59Z', '2024-02-29T12:00:00Z', '2025-08-30T00:00:00Z']) {
      const anchor = d(anchorIso);
      for (const interval of ['day', 'week', 'month', 'year'] as const) {
        for (let day = 0; day < 4 * 366; day += 3) {
          const at = new Date(anchor.getTime() + day * 86_400_000 + 3_600_000);
          const p = periodAt(anchor, interval, at)!;
          expect(p.start.getTime()).toBeLessThanOrEqual(at.getTime());
          expect(p.end.getTime()).toBeGreaterThan(at.getTime());
          expect(p.start.getTime()).toBe(periodStart(anchor, interval, p.index).getTime());
        }
      }
    }
  });
});
