import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';

/** Billing rollups: how often they run, how long they take, how many invoices they make. */
@Injectable()
export class RollupMetrics {
  private readonly runs: Counter<'result'>;
  private readonly duration: Histogram;
  private readonly invoices: Counter;

  constructor(registry: MetricsRegistry) {
    this.runs = new Counter({
      name: 'tally_rollup_runs_total',
      help: 'Billing rollup runs, by result: completed, skipped (another run held the lock), failed.',
      labelNames: ['result'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'tally_rollup_duration_seconds',
      help: 'Duration of billing rollup runs that did the work (completed or failed).',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
      registers: [registry],
    });
    this.invoices = new Counter({
      name: 'tally_rollup_invoices_created_total',
      help: 'Invoices created by billing rollups.',
      registers: [registry],
    });
  }

  skipped(): void {
    this.runs.inc({ result: 'skipped' });
  }

  /** A run that held the lock ended; a failed one may still have committed some invoices. */
  finished(startedAtMs: number, invoicesCreated: number, completed: boolean): void {
    this.runs.inc({ result: completed ? 'completed' : 'failed' });
    this.duration.observe((Date.now() - startedAtMs) / 1000);
    if (invoicesCreated > 0) this.invoices.inc(invoicesCreated);
  }
}
