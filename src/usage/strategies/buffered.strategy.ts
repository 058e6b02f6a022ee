import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../common/transaction';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { BufferedMetrics } from '../../metrics/buffered.metrics';
import { BufferedUsageRepository } from '../buffered/buffered-usage.repository';
import { LedgerBatcher } from '../buffered/ledger-batcher';
import { LocalCounter, availableOf } from '../buffered/local-counter';
import { UsageInstance } from '../buffered/usage-instance';
import { CounterRef, counterKey } from '../counters/counter-key';
import { UsageEventsRepository } from '../ledger/usage-events.repository';
import { UsageEvent } from '../usage-event';
import { unavailable } from '../usage.errors';
import { CountResult, UsageStrategy } from './usage-strategy';

type Refusal = Extract<CountResult, { kind: 'refused' }>;

/** Thrown inside the strategy to end an event's way with its refusal, which count() returns. */
class Refused {
  constructor(readonly refusal: Refusal) {}
}

/** Resubmissions after a lease was taken back, before answering 503. */
const MAX_LEASE_RETRIES = 20;
/** How long a counter found exhausted refuses events that do not fit without asking again. */
const EXHAUSTED_MS = 100;
const FLUSH_INTERVAL = 'usage-flush';
/** A counter untouched this long leaves memory (after its lease is given back). */
const IDLE_MS = 5 * 60_000;

/**
 * Counts in memory, durably. Each event is written to the ledger by a group-committed batch
 * before it is acknowledged; the counter row is written only by the flush (every
 * USAGE_FLUSH_INTERVAL_MS and on shutdown), which moves the instance's events into `used`
 * exactly once. Limits are held across instances by quota leases: an instance accepts only
 * what its lease covers, and leases together never exceed the limit (see
 * BufferedUsageRepository.acquireLease and docs/buffered-metering.md).
 */
@Injectable()
export class BufferedStrategy implements UsageStrategy, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BufferedStrategy.name);
  private counters = new Map<string, LocalCounter>();
  /** Keyed events on their way into a batch, so that a concurrent repeat waits for the first. */
  private readonly keysInFlight = new Map<string, Promise<CountResult>>();
  private readonly loading = new Map<string, Promise<LocalCounter>>();
  private stopping = false;
  private flushing: Promise<void> | undefined;
  private generation = -1;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: BufferedUsageRepository,
    private readonly batcher: LedgerBatcher,
    private readonly instance: UsageInstance,
    private readonly scheduler: SchedulerRegistry,
    private readonly ledger: UsageEventsRepository,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
    private readonly metrics: BufferedMetrics,
  ) {
    metrics.watchUnflushed(() => [...this.counters.values()].reduce((sum, c) => sum + Number(c.unflushed), 0));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.instance.register();
    // Whatever instances died before this start (kill -9) are flushed now, from the ledger.
    await this.instance.retireDead();
    const timer = setInterval(() => void this.flush(), this.config.usageFlushIntervalMs);
    this.scheduler.addInterval(FLUSH_INTERVAL, timer);
  }

  /** Graceful shutdown: refuse new events, write the queued ones, flush, return leases. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', FLUSH_INTERVAL)) this.scheduler.deleteInterval(FLUSH_INTERVAL);
    await this.batcher.drain();
    await this.flushing;
    await this.instance.unregister();
    this.logger.log('buffered counts flushed, leases returned');
  }

  /** For the readiness check: registered as a live instance, the flush scheduled, not shutting down. */
  get backgroundWorkRunning(): boolean {
    return !this.stopping && this.instance.id !== undefined && this.scheduler.doesExist('interval', FLUSH_INTERVAL);
  }

  /**
   * Each event is handed over at once, in order (the order they take quota in), without waiting
   * for the one before: events of one request share ledger batches with each other and with
   * every other request's.
   */
  count(events: UsageEvent[]): Promise<CountResult[]> {
    return Promise.all(
      events.map((event) => this.countOne(event).catch((error) => (error instanceof Refused ? error.refusal : Promise.reject(error)))),
    );
  }

  private async countOne(event: UsageEvent): Promise<CountResult> {
    if (this.stopping || !this.instance.id) throw unavailable();
    const dedupe = event.idempotencyKey === null ? undefined : `${event.subscriptionId}/${event.idempotencyKey}`;
    if (dedupe) {
      const first = this.keysInFlight.get(dedupe);
      if (first) {
        const outcome = await first.catch(() => undefined);
        if (outcome?.kind === 'accepted' || outcome?.kind === 'duplicate') return { kind: 'duplicate' };
      }
    }
    const result = this.accept(event);
    if (dedupe) {
      this.keysInFlight.set(dedupe, result);
      const forget = () => this.keysInFlight.get(dedupe) === result && this.keysInFlight.delete(dedupe);
      result.then(forget, forget);
    }
    return result;
  }

  /** Keeps the ledger batch open while a batch request hands its events over (see LedgerBatcher.cork). */
  async inBatch<T>(work: () => Promise<T>): Promise<T> {
    this.batcher.cork();
    try {
      return await work();
    } finally {
      this.batcher.uncork();
    }
  }

  /** This instance's accepted-but-unflushed quantity of a counter, to add to the row's `used`. */
  unflushed(counter: CounterRef): bigint {
    return this.counters.get(counterKey(counter))?.unflushed ?? 0n;
  }

  private async accept(event: UsageEvent): Promise<CountResult> {
    const counter = await this.local(event);
    const quantity = BigInt(event.quantity);
    for (let attempt = 0; attempt < MAX_LEASE_RETRIES; attempt++) {
      if (counter.limit !== null) {
        try {
          await this.reserve(counter, event, quantity);
        } catch (refusal) {
          // A retry of an event that took the last unit must still be answered as its
          // duplicate, not 429: the key is looked up before the refusal stands.
          if (event.idempotencyKey !== null && (await this.ledger.findByIdempotencyKey(event.subscriptionId, event.idempotencyKey))) {
            return { kind: 'duplicate' };
          }
          throw refusal;
        }
      } else {
        counter.inFlight += quantity;
      }
      let outcome;
      try {
        outcome = await this.batcher.submit({ event, counter, quantity });
      } catch (error) {
        counter.inFlight -= quantity;
        throw error;
      }
      if (outcome.kind === 'accepted') {
        return { kind: 'accepted', used: outcome.usedAfter.toString(), limit: counter.limit?.toString() ?? null };
      }
      counter.inFlight -= quantity;
      if (outcome.kind === 'duplicate') return { kind: 'duplicate' };
      if (outcome.kind === 'closed') throw this.closed(counter);
      // lease_lost: the batcher has re-read the lease; reserve again (and ask for more if needed).
    }
    throw unavailable();
  }

  /**
   * Takes `quantity` out of this instance's lease, asking the database for more when it runs
   * short. Only one request per counter is in flight; the others wait for it and look again.
   */
  private async reserve(counter: LocalCounter, event: UsageEvent, quantity: bigint): Promise<void> {
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

  private async acquire(counter: LocalCounter, need: bigint): Promise<void> {
    const id = this.instance.id;
    if (!id) throw unavailable();
    const grant = await this.repository.acquireLease(id, counter, need, BigInt(this.config.usageLeaseMaxSlice));
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
    if (counter.exhaustedUntil === Number.MAX_SAFE_INTEGER) return this.closed(counter);
    // Events ahead of this one that hold a reservation are as good as counted: include them.
    const mine = counter.dbUsed + counter.unflushed;
    let used = (counter.acceptedSeen > mine ? counter.acceptedSeen : mine) + counter.inFlight;
    // The figures come from snapshots taken at different moments; what was accepted can never
    // pass the limit (the leases hold it), so neither may the figure reported.
    if (used > counter.limit!) used = counter.limit!;
    return new Refused({ kind: 'refused', reason: 'limit', used: used.toString(), limit: counter.limit!.toString() });
  }

  /** The period is closed, or the subscription ended (the ledger batch found either; both are 409). */
  private closed(counter: LocalCounter): Refused {
    const used = (counter.dbUsed + counter.unflushed).toString();
    return new Refused({ kind: 'refused', reason: 'closed', used, limit: counter.limit?.toString() ?? null });
  }

  /**
   * The in-memory state of the event's counter, read from its row the first time. Concurrent
   * first events share one read, so they go on in the order they came.
   */
  private local(event: UsageEvent): Promise<LocalCounter> {
    if (this.generation !== this.instance.generation) {
      // Registered anew: the old instance's counts are flushed by whoever retires it.
      this.counters = new Map();
      this.loading.clear();
      this.generation = this.instance.generation;
    }
    const key = counterKey(event);
    const counter = this.counters.get(key);
    if (counter) {
      counter.lastUsedAt = Date.now();
      return Promise.resolve(counter);
    }
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.load(event, key).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  private async load(event: UsageEvent, key: string): Promise<LocalCounter> {
    const row = await this.repository.readCounter(event.subscriptionId, event.featureId, event.periodStart);
    if (!row || row.closed_at) {
      throw new Refused({ kind: 'refused', reason: 'closed', used: row?.used ?? '0', limit: row?.limit ?? null });
    }
    const counter: LocalCounter = {
      key,
      subscriptionId: event.subscriptionId,
      featureId: event.featureId,
      periodStart: event.periodStart,
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

  /** The scheduled flush; also registers anew after a lost connection and retires dead instances. */
  flush(): Promise<void> {
    this.flushing ??= this.metrics.timeFlush(this.flushOnce())
      .catch((error) => this.logger.warn(`flush failed: ${(error as Error).message}`))
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    if (!this.instance.id) {
      if (this.stopping) return;
      await this.instance.register();
    }
    const id = this.instance.id!;
    const upTo = this.batcher.flushableThrough;
    const flushed = await inTransaction(this.db, (m) => this.repository.flush(m, id, upTo));
    for (const f of flushed) {
      const c = this.counters.get(f.key);
      if (!c) continue;
      // Both in one synchronous step, so that dbUsed + unflushed never dips in between.
      c.dbUsed = f.used;
      c.unflushed -= f.flushed;
      if (c.limit !== null) c.granted -= f.flushed;
    }
    // Refresh what other instances flushed, for the `used` this instance reports.
    const all = [...this.counters.values()];
    const used = await this.repository.readUsed(all);
    for (const c of all) {
      const value = used.get(c.key);
      if (value !== undefined) c.dbUsed = value;
    }
    if ((await this.instance.retireDead()) > 0) for (const c of all) c.exhaustedUntil = 0;
    await this.evictIdle(id);
  }

  /** Keeps memory flat: counters nobody used for a while are dropped once nothing of theirs is pending. */
  private async evictIdle(instanceId: string): Promise<void> {
    const now = Date.now();
    for (const c of [...this.counters.values()]) {
      if (now - c.lastUsedAt < IDLE_MS || c.unflushed !== 0n || c.inFlight !== 0n || c.acquiring) continue;
      this.counters.delete(c.key);
      if (c.limit !== null && c.granted > 0n) await this.repository.releaseLease(instanceId, c);
    }
  }
}
