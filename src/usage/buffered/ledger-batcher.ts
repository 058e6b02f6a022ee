import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Rollback, inTransaction } from '../../common/transaction';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { BufferedMetrics } from '../../metrics/buffered.metrics';
import { BufferedUsageRepository } from './buffered-usage.repository';
import { counterKey } from '../counters/counter-key';
import { deadlineExceeded } from '../../lifecycle/request-deadline';
import { unavailable } from '../usage.errors';
import { PendingEvent } from './local-counter';
import { UsageInstance } from './usage-instance';
import { UsageAlerts } from '../alerts/usage-alerts';

export type BatchOutcome =
  | { kind: 'accepted'; usedAfter: bigint }
  | { kind: 'duplicate' }
  | { kind: 'closed' }
  /** The subscription had ended when the event occurred. */
  | { kind: 'ended' }
  /** Another instance took back this instance's unspent lease: reserve again and resubmit. */
  | { kind: 'lease_lost' };

/** Enough to keep the database busy while the next batch fills; more only adds lock waits. */
const MAX_BATCHES_IN_FLIGHT = 3;

/** A batch's quantities per counter, in batch order: what the ledger's running totals move by. */
function quantitiesByCounter(batch: Waiting[]): Map<string, { counter: PendingEvent['counter']; alerts: unknown; quantities: bigint[] }> {
  const groups = new Map<string, { counter: PendingEvent['counter']; alerts: unknown; quantities: bigint[] }>();
  for (const { item } of batch) {
    const group = groups.get(item.counter.key) ?? { counter: item.counter, alerts: item.event.alerts, quantities: [] };
    group.quantities.push(item.quantity);
    groups.set(item.counter.key, group);
  }
  return groups;
}

function release(items: Waiting[]): void {
  for (const { item } of items) item.counter.writing -= item.quantity;
}

type AttemptResult =
  | { committed: Waiting[]; closed: Waiting[]; ended: Waiting[]; usedAfter: bigint[] }
  /** Events to answer with `outcome` and leave out of the batch, which is then written again. */
  | { drop: Waiting[]; outcome: 'duplicate' | 'lease_lost' };

interface Waiting {
  item: PendingEvent;
  resolve: (outcome: BatchOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the ledger. Events arriving together are written with one multi-row INSERT
 * in one transaction; each caller's promise settles only after that commit, so no event is
 * acknowledged before it is durable. A batch closes after USAGE_BATCH_MAX_EVENTS events or
 * USAGE_BATCH_MAX_WAIT_MS after its first one. Up to MAX_BATCHES_IN_FLIGHT batches are written
 * at once; each carries a batch number, and the flush moves only batches below the lowest number
 * still being written (flushableThrough), so a batch that commits late is never skipped.
 */
@Injectable()
export class LedgerBatcher {
  private queue: Waiting[] = [];
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  /** While above zero, a batch request is handing its events over: keep the batch open for them. */
  private corked = 0;
  /** Events in batches being written (for the pending-events gauge). */
  private writing = 0;
  /** Batch numbers are this instance's own, handed out in order; see flushableThrough. */
  private lastBatchNo = 0n;
  /** Numbers of batches whose transaction has not ended (committed or rolled back) yet. */
  private readonly unsettled = new Set<bigint>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: BufferedUsageRepository,
    private readonly instance: UsageInstance,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
    private readonly metrics: BufferedMetrics,
    private readonly alerts: UsageAlerts,
  ) {
    metrics.watchPending(() => this.queue.length + this.writing);
  }

  /**
   * The highest batch number below which every batch of this instance has ended: the flush may
   * move everything up to it, and no later commit can land behind it.
   */
  get flushableThrough(): bigint {
    let lowest = this.lastBatchNo + 1n;
    for (const n of this.unsettled) if (n < lowest) lowest = n;
    return lowest - 1n;
  }

  submit(item: PendingEvent): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Holds the batch open until uncork(), like a socket's cork: the events of one batch request
   * then go to the ledger together instead of in whatever slices the wait timer cuts.
   */
  cork(): void {
    this.corked++;
  }

  uncork(): void {
    this.corked--;
    this.schedule();
  }

  /** Settles when every event submitted so far has been written (or refused). */
  async drain(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) {
      if (this.running.size === 0) this.start();
      await Promise.all(this.running);
    }
  }

  private schedule(): void {
    if (this.queue.length === 0 || this.running.size >= MAX_BATCHES_IN_FLIGHT) return;
    if (this.queue.length >= this.config.usageBatchMaxEvents) return this.start();
    if (this.corked > 0) return;
    this.timer ??= setTimeout(() => this.start(), this.config.usageBatchMaxWaitMs);
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dropExpired();
    if (this.running.size >= MAX_BATCHES_IN_FLIGHT || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.config.usageBatchMaxEvents);
    this.writing += batch.length;
    const written: Promise<void> = this.write(batch).finally(() => {
      this.running.delete(written);
      this.writing -= batch.length;
      // Events that queued while this batch was writing have waited long enough.
      if (this.queue.length > 0) this.start();
    });
    this.running.add(written);
    // Room for another batch: let the ones queuing meanwhile go too, after the usual wait.
    this.schedule();
  }

  /**
   * Events whose request was answered 503 at its deadline while they queued (the database slow
   * or gone) are not written: the client was told they were not counted.
   */
  private dropExpired(): void {
    const now = Date.now();
    if (!this.queue.some((w) => w.item.event.deadline < now)) return;
    const expired = this.queue.filter((w) => w.item.event.deadline < now);
    this.queue = this.queue.filter((w) => w.item.event.deadline >= now);
    for (const w of expired) w.reject(deadlineExceeded());
  }

  private async write(batch: Waiting[]): Promise<void> {
    let rest = batch;
    try {
      while (rest.length > 0) rest = await this.attempt(rest);
    } catch (error) {
      for (const w of rest) w.reject(error);
    }
  }

  /**
   * One transaction for the batch. When some events cannot be part of it (their key was taken,
   * or their lease shrank), they are answered, the transaction rolls back, and the others are
   * written again without them: every event in a committed batch is counted exactly as planned.
   */
  private async attempt(batch: Waiting[]): Promise<Waiting[]> {
    const instanceId = this.instance.id;
    if (!instanceId) throw unavailable();
    const items = batch.map((w) => w.item);
    const batchNo = ++this.lastBatchNo;
    this.unsettled.add(batchNo);
    let reserved: Waiting[] = [];
    let result: AttemptResult;
    try {
      result = await inTransaction<AttemptResult>(this.db, async (manager) => {
        // A deadlock retry starts over: what the failed try had put down as writing is taken back.
        release(reserved);
        reserved = [];
        const judged = await this.repository.openEvents(manager, instanceId, items);
        if (!judged) throw unavailable();
        const { open, ended: endedAt } = judged;
        const live = batch.filter((_, i) => open.has(i));
        const ended = batch.filter((_, i) => endedAt.has(i));
        const closed = batch.filter((_, i) => !open.has(i) && !endedAt.has(i));
        if (live.length === 0) return { committed: [], closed, ended, usedAfter: [] };

        const usedAfter = this.usedAfter(live);
        reserved = live;
        for (const { item } of live) item.counter.writing += item.quantity;
        const written = await this.repository.writeBatch(
          manager,
          instanceId,
          live.map((w) => w.item),
          usedAfter,
          batchNo,
        );
        if (written.duplicates.length > 0) {
          throw new Rollback<AttemptResult>({ drop: written.duplicates.map((i) => live[i]), outcome: 'duplicate' });
        }
        if (written.shortLeases.length > 0) {
          const short = new Set(written.shortLeases);
          const drop = live.filter((w) => short.has(w.item.counter.key));
          throw new Rollback<AttemptResult>({ drop, outcome: 'lease_lost' });
        }
        await this.alerts.batched(manager, quantitiesByCounter(live));
        return { committed: live, closed, ended, usedAfter };
      });
    } finally {
      // Ended either way: committed, or rolled back with nothing of it in the ledger.
      release(reserved);
      reserved = [];
      this.unsettled.delete(batchNo);
    }

    if ('drop' in result) {
      if (result.outcome === 'lease_lost') await this.resyncLeases(instanceId, result.drop);
      for (const w of result.drop) w.resolve({ kind: result.outcome });
      return batch.filter((w) => !result.drop.includes(w));
    }
    if (result.committed.length > 0) this.metrics.batchCommitted(result.committed.length);
    result.committed.forEach((w, i) => {
      w.item.counter.inFlight -= w.item.quantity;
      w.item.counter.unflushed += w.item.quantity;
      w.resolve({ kind: 'accepted', usedAfter: result.usedAfter[i] });
    });
    for (const w of result.closed) w.resolve({ kind: 'closed' });
    for (const w of result.ended) w.resolve({ kind: 'ended' });
    return [];
  }

  /**
   * What each event reports as `used`: flushed + this instance's unflushed + what its other
   * batches are writing + the events before it in this batch.
   */
  private usedAfter(live: Waiting[]): bigint[] {
    const running = new Map<string, bigint>();
    return live.map(({ item }) => {
      const c = item.counter;
      const before = running.get(c.key) ?? c.dbUsed + c.unflushed + c.writing;
      const after = before + item.quantity;
      running.set(c.key, after);
      return after;
    });
  }

  private async resyncLeases(instanceId: string, dropped: Waiting[]): Promise<void> {
    const counters = new Map(dropped.map((w) => [counterKey(w.item.counter), w.item.counter]));
    for (const c of counters.values()) {
      const lease = await this.repository.readLease(instanceId, c.subscriptionId, c.featureId, c.periodStart);
      c.granted = lease.granted;
    }
  }
}
