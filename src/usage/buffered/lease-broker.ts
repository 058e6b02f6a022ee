import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../common/transaction';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { BufferedMetrics } from '../../metrics/buffered.metrics';
import { unavailable } from '../usage.errors';
import { BufferedUsageRepository } from './buffered-usage.repository';
import { LocalCounter, availableOf } from './local-counter';
import { Refused } from './refused';
import { UsageInstance } from './usage-instance';

/** How long a counter found exhausted refuses events that do not fit without asking again. */
const EXHAUSTED_MS = 100;

/**
 * Quota for limited counters. An instance accepts only what its lease on a counter covers, and
 * the leases of all instances together never exceed the limit (BufferedUsageRepository.acquireLease,
 * docs/buffered-metering.md); this takes quantity out of the lease, asking for more when short.
 */
@Injectable()
export class LeaseBroker {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: BufferedUsageRepository,
    private readonly instance: UsageInstance,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
    private readonly metrics: BufferedMetrics,
  ) {}

  /**
   * Reserves `quantity` of the counter's lease for an event on its way into a batch, or throws
   * Refused (limit, or closed). Only one lease request per counter is in flight; the others wait
   * for it and look again.
   */
  async reserve(counter: LocalCounter, quantity: bigint): Promise<void> {
    for (;;) {
      if (availableOf(counter) >= quantity) {
        counter.inFlight += quantity;
        return;
      }
      if (counter.acquiring) {
        await counter.acquiring.catch(() => undefined);
        continue;
      }
      const need = quantity - availableOf(counter);
      if (Date.now() < counter.exhaustedUntil && need > counter.freeSeen) throw this.exceeded(counter);
      counter.acquiring = this.acquire(counter, need);
      try {
        await counter.acquiring;
      } finally {
        counter.acquiring = undefined;
      }
    }
  }

  /** Gives an idle counter's unspent lease back. */
  async release(counter: LocalCounter): Promise<void> {
    const id = this.instance.id;
    if (id && counter.limit !== null && counter.granted > 0n) await this.repository.releaseLease(id, counter);
  }

  /** After dead instances were retired their quota is free again: ask anew rather than refuse. */
  forgetExhaustion(counters: LocalCounter[]): void {
    for (const c of counters) c.exhaustedUntil = 0;
  }

  private async acquire(counter: LocalCounter, need: bigint): Promise<void> {
    const id = this.instance.id;
    if (!id) throw unavailable();
    const maxSlice = BigInt(this.config.usageLeaseMaxSlice);
    // One transaction holding the counter row lock: the grant comes out of what no lease holds.
    const grant = await inTransaction(this.db, (m) => this.repository.acquireLease(m, id, counter, need, maxSlice));
    this.metrics.leaseAnswered(grant.closed ? 'closed' : grant.granted === 0n ? 'exhausted' : 'granted');
    if (grant.closed) {
      counter.exhaustedUntil = Number.MAX_SAFE_INTEGER;
      return;
    }
    if (grant.granted === 0n) {
      counter.exhaustedUntil = Date.now() + EXHAUSTED_MS;
      counter.acceptedSeen = grant.accepted;
      counter.freeSeen = grant.free;
      return;
    }
    counter.granted = grant.granted;
  }

  private exceeded(counter: LocalCounter): Refused {
    if (counter.exhaustedUntil === Number.MAX_SAFE_INTEGER) return Refused.closed(counter);
    // Events ahead of this one that hold a reservation are as good as counted: include them.
    const mine = counter.dbUsed + counter.unflushed;
    let used = (counter.acceptedSeen > mine ? counter.acceptedSeen : mine) + counter.inFlight;
    // The figures come from snapshots taken at different moments; what was accepted can never
    // pass the limit (the leases hold it), so neither may the figure reported.
    if (used > counter.limit!) used = counter.limit!;
    return new Refused({ kind: 'refused', reason: 'limit', used: used.toString(), limit: counter.limit!.toString() });
  }
}
