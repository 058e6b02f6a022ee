import { CounterState } from '../counters/counter-state';
import { UsageEvent } from '../usage-event';
import { judgeInTurn } from './judge-in-turn';

const now = new Date('2026-11-15T12:00:00Z');
const state = (used: number, limit: number | null): CounterState => ({
  used: BigInt(used),
  held: 0n,
  limit: limit === null ? null : BigInt(limit),
  closedAt: null,
  endsAt: null,
  version: 3,
});
const event = (quantity: number, idempotencyKey: string | null = null): UsageEvent => ({
  subscriptionId: 's',
  featureId: 'f',
  periodStart: new Date('2026-11-01T00:00:00Z'),
  periodEnd: new Date('2026-12-01T00:00:00Z'),
  featureKey: 'messages',
  strategy: 'pessimistic',
  quantity: String(quantity),
  idempotencyKey,
  occurredAt: now,
  deadline: Infinity,
  alerts: null,
});
const summary = (results: ReturnType<typeof judgeInTurn>['results']) =>
  results.map((r) => (r.kind === 'accepted' ? `+${r.used}` : r.kind === 'refused' ? `${r.reason}@${r.used}` : 'dup'));

describe('judgeInTurn', () => {
  it('judges each event against what the ones before it left, a refusal taking nothing', () => {
    const judged = judgeInTurn(state(2, 10), [5, 4, 2, 1, 1].map((q) => event(q)), new Set());
    expect(summary(judged.results)).toEqual(['+7', 'limit@7', '+9', '+10', 'limit@10']);
    expect(judged.used).toBe(10n);
    expect(judged.entries.map((e) => e.usedAfter)).toEqual(['7', '9', '10']);
  });

  it('counts a key once: taken in the ledger, or by an earlier event of the same transaction', () => {
    const judged = judgeInTurn(state(0, 10), [event(1, 'a'), event(1, 'old'), event(2, 'a'), event(1)], new Set(['old']));
    expect(summary(judged.results)).toEqual(['+1', 'dup', 'dup', '+2']);
    expect(judged.entries.map((e) => e.idempotencyKey)).toEqual(['a', null]);
  });

  it('leaves a refused key free, so its repeat in the same transaction is judged afresh', () => {
    const judged = judgeInTurn(state(0, 3), [event(5, 'a'), event(2, 'a')], new Set());
    expect(summary(judged.results)).toEqual(['limit@0', '+2']);
  });

  it('refuses everything of a counter that is closed, or missing', () => {
    expect(summary(judgeInTurn({ ...state(0, 10), closedAt: now }, [event(1)], new Set()).results)).toEqual(['closed@0']);
    expect(summary(judgeInTurn(undefined, [event(1)], new Set()).results)).toEqual(['closed@0']);
  });
});
