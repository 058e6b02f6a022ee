import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Strategy } from '../../catalog/features/feature.entity';
import { CounterRef, counterKey } from '../counters/counter-key';
import { UsageEvent } from '../usage-event';
import { UsageCountersRepository } from '../counters/usage-counters.repository';
import { UsageAlertsRepository } from './usage-alerts.repository';
import { crossesAny } from './thresholds';

/** Enough for every hot counter; a full memo starts over (a repeat only costs one statement). */
const MAX_REMEMBERED = 100_000;

/**
 * Usage alerts, announced from the transaction of the count that crossed them:
 * `usage.threshold_crossed` once per (subscription, feature, period, threshold) and
 * `usage.limit_refused` once per (subscription, feature, period), whatever the strategy and the
 * number of instances (the database's usage_announcements decides "once"). The atomic strategy
 * announces inside its own statement (tally_count_atomic_announcing); the others call here.
 */
@Injectable()
export class UsageAlerts {
  /** Counters whose refusal this process has announced (or seen announced): asked once each. */
  private readonly refusedCounters = new Set<string>();

  constructor(
    private readonly counters: UsageCountersRepository,
    private readonly repository: UsageAlertsRepository,
  ) {}

  /** Pessimistic and optimistic: the accepted events of a transaction, in order, with the count after each. */
  async counted(
    manager: EntityManager,
    counter: UsageEvent,
    limit: bigint | null,
    accepted: readonly { quantity: string; usedAfter: string }[],
  ): Promise<void> {
    const { alerts } = counter;
    if (!alerts || accepted.length === 0) return;
    const after = accepted.map((e) => BigInt(e.usedAfter));
    const before = accepted.map((e, i) => after[i] - BigInt(e.quantity));
    if (!crossesAny(alerts, limit, before[0], after[after.length - 1])) return;
    await this.repository.announceCrossings(manager, counter, before, after);
  }

  /**
   * Buffered: a ledger batch's events, grouped by counter. The ledger's running total is what
   * tells a crossing across instances; its rows are locked in key order, so batches of several
   * counters never wait on each other in a circle.
   */
  async batched(manager: EntityManager, groups: Map<string, { counter: CounterRef; alerts: unknown; quantities: bigint[] }>): Promise<void> {
    const keys = [...groups.keys()].filter((key) => groups.get(key)!.alerts !== null).sort();
    for (const key of keys) {
      const { counter, quantities } = groups.get(key)!;
      await this.repository.bufferedProgress(manager, counter, quantities);
    }
  }

  /**
   * A reservation's committed quantity, counted outside the strategies (ReservationsService): a
   * buffered counter's ledger total moves by it like a batch's, a strict counter's count is exact.
   * The database looks up the counter's alerts itself: the committing instance may never have
   * ensured this counter.
   */
  async committed(manager: EntityManager, counter: CounterRef, strategy: Strategy, quantity: bigint, usedAfter: bigint): Promise<void> {
    if (strategy === 'buffered') await this.repository.bufferedProgress(manager, counter, [quantity]);
    else await this.repository.announceCrossings(manager, counter, [usedAfter - quantity], [usedAfter]);
  }

  /** A use refused by the limit: the period's first refusal is announced, before the 429 is answered. */
  async refused(counter: CounterRef, used: string, quantity: string): Promise<void> {
    const key = counterKey(counter);
    if (this.refusedCounters.has(key)) return;
    await this.repository.announceRefusal(counter, used, quantity);
    if (this.refusedCounters.size >= MAX_REMEMBERED) this.refusedCounters.clear();
    this.refusedCounters.add(key);
  }
}
