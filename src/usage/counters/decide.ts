import { CounterState } from './counter-state';

/** Why an event was not counted. */
export type RefusalReason = 'limit' | 'closed' | 'ended';

export type Decision =
  | { accepted: true; usedAfter: bigint }
  | { accepted: false; reason: RefusalReason; used: bigint; limit: bigint | null };

/**
 * Whether `quantity` more, of an event that occurred at `occurredAt`, may be counted on a counter in
 * `state`: its period still open, its subscription not ended by then, its limit not passed by what
 * is used and what reservations hold (issue 13). Pure:
 * the caller must hold what makes `state` current (a row lock, or a version it checks on write).
 */
export function decide(state: CounterState, quantity: bigint, occurredAt: Date): Decision {
  const refuse = (reason: RefusalReason): Decision => ({ accepted: false, reason, used: state.used, limit: state.limit });
  if (state.closedAt !== null) return refuse('closed');
  if (state.endsAt !== null && occurredAt >= state.endsAt) return refuse('ended');
  const usedAfter = state.used + quantity;
  if (state.limit !== null && usedAfter + state.held > state.limit) return refuse('limit');
  return { accepted: true, usedAfter };
}
