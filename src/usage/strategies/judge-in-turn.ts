import { CounterState } from '../counters/counter-state';
import { decide } from '../counters/decide';
import { LedgerEntry } from '../ledger/usage-events.repository';
import { UsageEvent } from '../usage-event';
import { CountResult } from './usage-strategy';

export interface Judged {
  results: CountResult[];
  /** The accepted events, for the ledger. */
  entries: LedgerEntry[];
  /** The count after them. */
  used: bigint;
}

/**
 * The strategies that decide in JavaScript (pessimistic, optimistic) judge a transaction's events
 * here, against the row they read in it: an event whose key the ledger holds, or an earlier event
 * of the same transaction took, is a duplicate and takes nothing; the others are decided in turn.
 * A refusal leaves a key free, so a later repeat of it is judged afresh.
 */
export function judgeInTurn(state: CounterState | undefined, events: readonly UsageEvent[], takenKeys: Set<string>): Judged {
  if (!state) {
    // No row: the period's counter never existed where it must (it is created before counting).
    const refused = { kind: 'refused', reason: 'closed', used: '0', limit: null } as const;
    return { results: events.map(() => refused), entries: [], used: 0n };
  }
  const keys = new Set(takenKeys);
  const limit = state.limit?.toString() ?? null;
  const results: CountResult[] = [];
  const entries: LedgerEntry[] = [];
  let used = state.used;
  for (const event of events) {
    if (event.idempotencyKey !== null && keys.has(event.idempotencyKey)) {
      results.push({ kind: 'duplicate' });
      continue;
    }
    // A refused event takes nothing, so a smaller one after it may still fit.
    const decision = decide({ ...state, used }, BigInt(event.quantity), event.occurredAt);
    if (!decision.accepted) {
      results.push({ kind: 'refused', reason: decision.reason, used: decision.used.toString(), limit });
      continue;
    }
    used = decision.usedAfter;
    if (event.idempotencyKey !== null) keys.add(event.idempotencyKey);
    entries.push({ quantity: event.quantity, idempotencyKey: event.idempotencyKey, occurredAt: event.occurredAt, usedAfter: used.toString() });
    results.push({ kind: 'accepted', used: used.toString(), limit });
  }
  return { results, entries, used };
}
