import { CounterRef } from '../counters/counter-key';
import { RefusalReason } from '../counters/decide';
import { UsageEvent } from '../usage-event';

/**
 * What a strategy reports for one event: counted (with the count it left), a repeat of an event
 * the ledger holds, or refused for a reason, with the figures the strategy saw when it decided.
 */
export type CountResult =
  | { kind: 'accepted'; used: string; limit: string | null }
  | { kind: 'duplicate' }
  | { kind: 'refused'; reason: RefusalReason; used: string; limit: string | null };

export interface UsageStrategy {
  /**
   * Counts events of one counter, in order, each judged on its own: its count and its ledger row
   * in one transaction (both or neither), never letting `used` pass the counter's limit. One
   * result per event. Throws only for what is not a refusal (the database unreachable, contention).
   */
  count(events: UsageEvent[]): Promise<CountResult[]>;
  /** Accepted and not yet in the counter row (what a reader of the row must add). */
  unflushed(counter: CounterRef): bigint;
  /**
   * Runs `work`, which hands many events over, with the strategy's own batching held open until
   * it returns. `work` must not wait for the results of what it hands over: a batch held open is
   * not written.
   */
  inBatch<T>(work: () => Promise<T>): Promise<T>;
}
