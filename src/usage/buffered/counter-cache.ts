import { Injectable } from '@nestjs/common';
import { BufferedMetrics } from '../../metrics/buffered.metrics';
import { CounterRef, counterKey } from '../counters/counter-key';
import { BufferedUsageRepository } from './buffered-usage.repository';
import { LocalCounter } from './local-counter';
import { Refused } from './refused';
import { UsageInstance } from './usage-instance';

/** A counter untouched this long leaves memory (after its lease is given back). */
const IDLE_MS = 5 * 60_000;

/**
 * What this instance knows in memory of the counters it counts with the buffered strategy: read
 * from the row the first time (concurrent first events share one read, so they go on in the order
 * they came), dropped when the instance registers anew (its old counts are flushed by whoever
 * retires it) or when idle.
 */
@Injectable()
export class CounterCache {
  private counters = new Map<string, LocalCounter>();
  private readonly loading = new Map<string, Promise<LocalCounter>>();
  private generation = -1;

  constructor(
    private readonly repository: BufferedUsageRepository,
    private readonly instance: UsageInstance,
    metrics: BufferedMetrics,
  ) {
    metrics.watchUnflushed(() => [...this.counters.values()].reduce((sum, c) => sum + Number(c.unflushed), 0));
  }

  /** The counter's state, loaded on first use; throws Refused when its period is closed. */
  get(counter: CounterRef): Promise<LocalCounter> {
    if (this.generation !== this.instance.generation) {
      this.counters = new Map();
      this.loading.clear();
      this.generation = this.instance.generation;
    }
    const key = counterKey(counter);
    const local = this.counters.get(key);
    if (local) {
      local.lastUsedAt = Date.now();
      return Promise.resolve(local);
    }
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.load(counter, key).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  find(counter: CounterRef | string): LocalCounter | undefined {
    return this.counters.get(typeof counter === 'string' ? counter : counterKey(counter));
  }

  all(): LocalCounter[] {
    return [...this.counters.values()];
  }

  /**
   * Keeps memory flat: drops the counters nobody used for a while once nothing of theirs is
   * pending, calling `release` (which gives the lease back) for each.
   */
  async evictIdle(release: (counter: LocalCounter) => Promise<void>): Promise<void> {
    const now = Date.now();
    for (const c of this.all()) {
      if (now - c.lastUsedAt < IDLE_MS || c.unflushed !== 0n || c.inFlight !== 0n || c.acquiring) continue;
      this.counters.delete(c.key);
      await release(c);
    }
  }

  private async load(ref: CounterRef, key: string): Promise<LocalCounter> {
    const row = await this.repository.readCounter(ref.subscriptionId, ref.featureId, ref.periodStart);
    if (!row || row.closed_at) {
      throw new Refused({ kind: 'refused', reason: 'closed', used: row?.used ?? '0', limit: row?.limit ?? null });
    }
    const counter: LocalCounter = {
      key,
      subscriptionId: ref.subscriptionId,
      featureId: ref.featureId,
      periodStart: ref.periodStart,
      limit: row.limit === null ? null : BigInt(row.limit),
      dbUsed: BigInt(row.used),
      unflushed: 0n,
      inFlight: 0n,
      writing: 0n,
      granted: 0n,
      exhaustedUntil: 0,
      freeSeen: 0n,
      acceptedSeen: 0n,
      lastUsedAt: Date.now(),
    };
    this.counters.set(key, counter);
    return counter;
  }
}
