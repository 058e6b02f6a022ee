import { CounterRef, counterKey } from '../counters/counter-key';
import { UsageEvent } from '../usage-event';
import { deadlineExceeded } from '../../lifecycle/request-deadline';
import { CounterQueue } from './counter-queue';
import { CountResult, UsageStrategy } from './usage-strategy';

/**
 * What the three strict strategies share: every count is in the counter row when its transaction
 * commits (nothing unflushed, no batching of their own to hold open), and the requests for one
 * counter are combined (CounterQueue) so that one transaction carries all that queued while the
 * one before it ran. Each strategy says how one such transaction counts.
 */
export abstract class StrictStrategy implements UsageStrategy {
  private readonly queue = new CounterQueue<UsageEvent, CountResult>((events) => this.countTogether(events), deadlineExceeded);

  /** The events of one request (one deadline). */
  count(events: UsageEvent[]): Promise<CountResult[]> {
    return this.queue.submit(counterKey(events[0]), events, events[0].deadline);
  }

  unflushed(_counter: CounterRef): bigint {
    return 0n;
  }

  inBatch<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  /** Counts events of one counter, in order, in one transaction (or its retries); one result each. */
  protected abstract countTogether(events: UsageEvent[]): Promise<CountResult[]>;
}
