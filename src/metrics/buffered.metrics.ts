import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';

export type LeaseAnswer = 'granted' | 'exhausted' | 'closed';

/** The buffered strategy's moving parts: ledger batches, flushes, what is held in memory, quota leases. */
@Injectable()
export class BufferedMetrics {
  private readonly batchEvents: Histogram;
  private readonly flushDuration: Histogram<'result'>;
  private readonly leaseRequests: Counter<'result'>;
  private pending: () => number = () => 0;
  private unflushed: () => number = () => 0;

  constructor(registry: MetricsRegistry) {
    this.batchEvents = new Histogram({
      name: 'tally_buffered_batch_events',
      help: 'Events per committed ledger batch (group commit).',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    });
    this.flushDuration = new Histogram({
      name: 'tally_buffered_flush_duration_seconds',
      help: 'Duration of flushes of in-memory counts into the counter rows, by result (ok or failed).',
      labelNames: ['result'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const self = this;
    new Gauge({
      name: 'tally_buffered_pending_events',
      help: 'Events handed to the ledger batcher and not yet committed or refused.',
      registers: [registry],
      collect() {
        this.set(self.pending());
      },
    });
    new Gauge({
      name: 'tally_buffered_unflushed_units',
      help: 'Units accepted by this instance (in the ledger) and not yet flushed into the counter rows.',
      registers: [registry],
      collect() {
        this.set(self.unflushed());
      },
    });
    this.leaseRequests = new Counter({
      name: 'tally_buffered_lease_requests_total',
      help: 'Quota lease requests to the database, by result: granted, exhausted (the rest of the limit is spoken for), closed (the period is invoiced).',
      labelNames: ['result'],
      registers: [registry],
    });
  }

  /** The LedgerBatcher tells how many events it holds; read at scrape time. */
  watchPending(read: () => number): void {
    this.pending = read;
  }

  /** The buffered counter cache tells how many units it holds unflushed; read at scrape time. */
  watchUnflushed(read: () => number): void {
    this.unflushed = read;
  }

  batchCommitted(events: number): void {
    this.batchEvents.observe(events);
  }

  /** Times one flush and hands its outcome on unchanged. */
  async timeFlush(flush: Promise<void>): Promise<void> {
    const end = this.flushDuration.startTimer();
    try {
      await flush;
      end({ result: 'ok' });
    } catch (error) {
      end({ result: 'failed' });
      throw error;
    }
  }

  /** One answer of the database to a lease request (a grant of quota, or why not). */
  leaseAnswered(result: LeaseAnswer): void {
    this.leaseRequests.inc({ result });
  }
}
