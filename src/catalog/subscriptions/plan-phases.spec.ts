import { segmentAt, segmentsAfter } from './plan-phases';

const d = (iso: string) => new Date(iso);
const anchor = d('2025-01-10T00:00:00Z');
const iso = (s: { planId: string; start: Date; end: Date; fullStart: Date; fullEnd: Date }) => [
  s.planId,
  s.start.toISOString(),
  s.end.toISOString(),
  s.fullStart.toISOString(),
  s.fullEnd.toISOString(),
];
const first = (n: number, after: Date | null, phases: { planId: string; from: Date }[]) => {
  const out = [];
  for (const s of segmentsAfter(anchor, 'month', phases, after)) {
    out.push(iso(s));
    if (out.length === n) break;
  }
  return out;
};

describe('plan phases', () => {
  const changedNow = [
    { planId: 'a', from: anchor },
    { planId: 'b', from: d('2025-02-20T12:00:00Z') },
  ];

  it('cuts the anchor period at a change "now" and keeps the anchor for the periods after', () => {
    expect(first(4, null, changedNow)).toEqual([
      ['a', '2025-01-10T00:00:00.000Z', '2025-02-10T00:00:00.000Z', '2025-01-10T00:00:00.000Z', '2025-02-10T00:00:00.000Z'],
      ['a', '2025-02-10T00:00:00.000Z', '2025-02-20T12:00:00.000Z', '2025-02-10T00:00:00.000Z', '2025-03-10T00:00:00.000Z'],
      ['b', '2025-02-20T12:00:00.000Z', '2025-03-10T00:00:00.000Z', '2025-02-10T00:00:00.000Z', '2025-03-10T00:00:00.000Z'],
      ['b', '2025-03-10T00:00:00.000Z', '2025-04-10T00:00:00.000Z', '2025-03-10T00:00:00.000Z', '2025-04-10T00:00:00.000Z'],
    ]);
  });

  it('continues after a given segment start, also the second part of a cut period', () => {
    expect(first(2, d('2025-02-10T00:00:00Z'), changedNow).map((s) => s[1])).toEqual([
      '2025-02-20T12:00:00.000Z',
      '2025-03-10T00:00:00.000Z',
    ]);
    expect(first(1, d('2025-02-20T12:00:00Z'), changedNow).map((s) => s[1])).toEqual(['2025-03-10T00:00:00.000Z']);
  });

  it('does not cut a period at a change on its boundary', () => {
    const atBoundary = [
      { planId: 'a', from: anchor },
      { planId: 'b', from: d('2025-02-10T00:00:00Z') },
    ];
    expect(first(2, null, atBoundary).map((s) => [s[0], s[1], s[2]])).toEqual([
      ['a', '2025-01-10T00:00:00.000Z', '2025-02-10T00:00:00.000Z'],
      ['b', '2025-02-10T00:00:00.000Z', '2025-03-10T00:00:00.000Z'],
    ]);
  });

  it('finds the segment of an instant: start inclusive, end exclusive', () => {
    const before = segmentAt(anchor, 'month', changedNow, d('2025-02-20T11:59:59.999Z'))!;
    const after = segmentAt(anchor, 'month', changedNow, d('2025-02-20T12:00:00Z'))!;
    expect(iso(before)[0]).toBe('a');
    expect(before.end.toISOString()).toBe('2025-02-20T12:00:00.000Z');
    expect(iso(after).slice(0, 3)).toEqual(['b', '2025-02-20T12:00:00.000Z', '2025-03-10T00:00:00.000Z']);
    expect(segmentAt(anchor, 'month', changedNow, d('2025-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('cuts one period twice for two changes "now" in it', () => {
    const twice = [...changedNow, { planId: 'c', from: d('2025-03-01T00:00:00Z') }];
    expect(first(4, d('2025-01-10T00:00:00Z'), twice).map((s) => [s[0], s[1], s[2]])).toEqual([
      ['a', '2025-02-10T00:00:00.000Z', '2025-02-20T12:00:00.000Z'],
      ['b', '2025-02-20T12:00:00.000Z', '2025-03-01T00:00:00.000Z'],
      ['c', '2025-03-01T00:00:00.000Z', '2025-03-10T00:00:00.000Z'],
      ['c', '2025-03-10T00:00:00.000Z', '2025-04-10T00:00:00.000Z'],
    ]);
  });
});
