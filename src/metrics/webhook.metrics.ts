import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';

export type DeliveryResult = 'succeeded' | 'retrying' | 'failed';

/** Webhook deliveries: how attempts end, and how far behind delivery is. */
@Injectable()
export class WebhookMetrics {
  private readonly attempts: Counter<'result'>;
  private oldest: () => Promise<number> = async () => 0;

  constructor(registry: MetricsRegistry) {
    this.attempts = new Counter({
      name: 'tally_webhook_deliveries_total',
      help: 'Webhook delivery attempts made by this instance, by result: succeeded, retrying (failed, retried later), failed (failed, no retry left).',
      labelNames: ['result'],
      registers: [registry],
    });
    const source = () => this.oldest();
    new Gauge({
      name: 'tally_webhook_oldest_undelivered_event_age_seconds',
      help: 'Age of the oldest event with a delivery still pending (all instances; read from the database at scrape time); 0 when none is.',
      registers: [registry],
      async collect() {
        this.set(await source().catch(() => 0));
      },
    });
  }

  attempted(result: DeliveryResult): void {
    this.attempts.inc({ result });
  }

  /** Where the gauge reads from (the webhooks module owns the query). */
  readOldestFrom(source: () => Promise<number>): void {
    this.oldest = source;
  }
}
