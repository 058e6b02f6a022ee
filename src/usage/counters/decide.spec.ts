import { CounterState } from './counter-state';
import { decide } from './decide';

const open = (used: number, limit: number | null): CounterState => ({
  used: BigInt(used),
  held: 0n,
  limit: limit === null ? null : BigInt(limit),
  closedAt: null,
  endsAt: null,
  version: 1,
});
const now = new Date('2026-11-15T12:00:00Z');

describe('decide', () => {
  it('accepts what fits, up to the limit exactly', () => {
    expect(decide(open(97, 100), 3n, now)).toEqual({ accepted: true, usedAfter: 100n });
    expect(decide(open(0, 0), 0n, now)).toEqual({ accepted: true, usedAfter: 0n });
  });

  it('counts what reservations hold as taken', () => {
    expect(decide({ ...open(90, 100), held: 7n }, 3n, now)).toEqual({ accepted: true, usedAfter: 93n });
    expect(decide({ ...open(90, 100), held: 8n }, 3n, now)).toMatchObject({ accepted: false, reason: 'limit', used: 90n });
  });

  it('refuses what would pass the limit, with the figures it saw', () => {
    expect(decide(open(98, 100), 3n, now)).toEqual({ accepted: false, reason: 'limit', used: 98n, limit: 100n });
  });

  it('never refuses an unlimited counter for its size', () => {
    expect(decide(open(9_007_199_254_740_991, null), 10n, now)).toEqual({ accepted: true, usedAfter: 9_007_199_254_741_001n });
  });

  it('refuses every event of a closed period, before looking at the limit', () => {
    expect(decide({ ...open(0, 100), closedAt: now }, 1n, now)).toMatchObject({ accepted: false, reason: 'closed' });
    expect(decide({ ...open(100, 100), closedAt: now, endsAt: now }, 1n, now)).toMatchObject({ reason: 'closed' });
  });

  it('refuses events at or after the subscription end, not those before it', () => {
    const ending = { ...open(0, 100), endsAt: now };
    expect(decide(ending, 1n, now)).toMatchObject({ accepted: false, reason: 'ended' });
    expect(decide(ending, 1n, new Date(now.getTime() + 1))).toMatchObject({ reason: 'ended' });
    expect(decide(ending, 1n, new Date(now.getTime() - 1))).toEqual({ accepted: true, usedAfter: 1n });
  });
});
