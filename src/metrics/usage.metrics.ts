import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { ErrorCode, TallyError } from '../common/errors/tally.error';
import { MetricsRegistry } from './metrics.registry';

type Outcome = 'accepted' | 'duplicate' | 'limit_exceeded';

/** What became of each usage event, per strategy. */
@Injectable()
export class UsageMetrics {
  private readonly events: Counter<'strategy' | 'outcome'>;

  constructor(registry: MetricsRegistry) {
    this.events = new Counter({
      name: 'tally_usage_events_total',
      help: 'Usage events judged, by strategy and outcome: accepted (counted), duplicate (a known idempotency key), limit_exceeded (refused).',
      labelNames: ['strategy', 'outcome'],
      registers: [registry],
    });
  }

  /** Counts the outcome of one judged event and hands the answer (or the refusal) on unchanged. */
  async track<T extends { duplicate: boolean }>(strategy: string, judged: Promise<T>): Promise<T> {
    try {
      const answer = await judged;
      this.count(strategy, answer.duplicate ? 'duplicate' : 'accepted');
      return answer;
    } catch (error) {
      if (error instanceof TallyError && error.code === ErrorCode.LimitExceeded) this.count(strategy, 'limit_exceeded');
      throw error;
    }
  }

  /** Counts one judged event whose outcome is already known. */
  count(strategy: string, outcome: Outcome): void {
    this.events.inc({ strategy, outcome });
  }
}
