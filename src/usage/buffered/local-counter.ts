import { UsageEvent } from '../usage-event';

/** What one instance knows, in memory, of one counter it counts with the buffered strategy. */
export interface LocalCounter {
  key: string;
  subscriptionId: string;
  featureId: string;
  periodStart: Date;
  /** null: unlimited, no lease needed. */
  limit: bigint | null;
  /** `used` of the counter row as last read or flushed: what all instances have flushed. */
  dbUsed: bigint;
  /** Accepted by this instance (committed in the ledger) and not yet flushed into the row. */
  unflushed: bigint;
  /** Reserved for events waiting in a batch that has not committed yet. */
  inFlight: bigint;
  /** Of those, the ones in a batch transaction right now (to number `used` across batches). */
  writing: bigint;
  /** The lease: quota this instance may accept without asking the database. Equals lease.granted. */
  granted: bigint;
  /** A lease request in progress; concurrent events wait for it instead of asking again. */
  acquiring?: Promise<void>;
  /**
   * Until then, the counter was found exhausted with `freeSeen` left unleased: an event needing
   * more than that is refused at once (free quota only shrinks while others spend).
   */
  exhaustedUntil: number;
  freeSeen: bigint;
  /** All instances' accepted total, as the last refused lease request saw it (for 429 bodies). */
  acceptedSeen: bigint;
  lastUsedAt: number;
}

export const availableOf = (c: LocalCounter) => c.granted - c.unflushed - c.inFlight;

/** An event on its way into a ledger batch. */
export interface PendingEvent {
  event: UsageEvent;
  counter: LocalCounter;
  quantity: bigint;
}
