import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../common/transaction';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { BufferedMetrics } from '../../metrics/buffered.metrics';
import { BufferedUsageRepository } from './buffered-usage.repository';
import { CounterCache } from './counter-cache';
import { LeaseBroker } from './lease-broker';
import { LedgerBatcher } from './ledger-batcher';
import { UsageInstance } from './usage-instance';

const FLUSH_INTERVAL = 'usage-flush';

/**
 * The buffered strategy's background work and lifecycle: registers the instance at start and
 * retires the instances that died before it; every USAGE_FLUSH_INTERVAL_MS moves the instance's
 * committed events into the counter rows (exactly once, up to the batcher's watermark), reads
 * back what the other instances flushed, retires dead ones and drops idle counters; on shutdown
 * stops taking events, writes the queued ones, flushes and returns the leases.
 */
@Injectable()
export class BufferedFlusher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BufferedFlusher.name);
  private stopping = false;
  private flushing: Promise<void> | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: BufferedUsageRepository,
    private readonly cache: CounterCache,
    private readonly leases: LeaseBroker,
    private readonly batcher: LedgerBatcher,
    private readonly instance: UsageInstance,
    private readonly scheduler: SchedulerRegistry,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
    private readonly metrics: BufferedMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.instance.register();
    // Whatever instances died before this start (kill -9) are flushed now, from the ledger.
    await this.instance.retireDead();
    const timer = setInterval(() => void this.flush(), this.config.usageFlushIntervalMs);
    this.scheduler.addInterval(FLUSH_INTERVAL, timer);
  }

  /**
   * Graceful shutdown: refuse new events, write the queued ones, flush, return leases. When that
   * cannot be done (the database unreachable, the instance's liveness connection lost), it says so
   * and fails, so that the process exits 1: the next instance to start retires this one from the
   * ledger, and nothing committed is lost.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', FLUSH_INTERVAL)) this.scheduler.deleteInterval(FLUSH_INTERVAL);
    await this.batcher.drain();
    await this.flushing;
    const notDone = 'buffered counts NOT flushed and leases NOT returned; the next instance to start retires this one (nothing committed is lost)';
    try {
      // A liveness connection was lost: what this process had not flushed under that instance is
      // in the ledger, and its lock is free now. Registered (anew, if need be), this process
      // retires that instance itself, like any dead one, instead of leaving it to the next start.
      if (this.instance.id === undefined) await this.instance.register();
      if (this.instance.hasLost) await this.instance.retireDead();
      // Its old self may still hold its lock through a server session that has not noticed the
      // lost connection: then it was not retired, and this shutdown has not done its work.
      const unretired = await this.instance.stillRegisteredLost();
      if (unretired.length > 0) {
        throw new Error(`instance(s) ${unretired.join(', ')} of this process could not be retired: their liveness lock is still held`);
      }
      await this.instance.unregister();
    } catch (error) {
      this.logger.error(`${notDone}: ${(error as Error).message}`);
      throw error;
    }
    this.logger.log('buffered counts flushed, leases returned');
  }

  /** Whether events may be taken: registered as a live instance and not shutting down. */
  get accepting(): boolean {
    return !this.stopping && this.instance.id !== undefined;
  }

  /** For the readiness check: accepting, and the flush scheduled. */
  get backgroundWorkRunning(): boolean {
    return this.accepting && this.scheduler.doesExist('interval', FLUSH_INTERVAL);
  }

  /** The scheduled flush; also registers anew after a lost connection. One at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.metrics
      .timeFlush(this.flushOnce())
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
      const c = this.cache.find(f.key);
      if (!c) continue;
      // Both in one synchronous step, so that dbUsed + unflushed never dips in between.
      c.dbUsed = f.used;
      c.unflushed -= f.flushed;
      if (c.limit !== null) c.granted -= f.flushed;
    }
    // Refresh what other instances flushed, for the `used` this instance reports.
    const all = this.cache.all();
    const used = await this.repository.readUsed(all);
    for (const c of all) {
      const value = used.get(c.key);
      if (value !== undefined) c.dbUsed = value;
    }
    if ((await this.instance.retireDead()) > 0) this.leases.forgetExhaustion(all);
    await this.cache.evictIdle((c) => this.leases.release(c));
  }
}
