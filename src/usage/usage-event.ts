import { Strategy } from '../catalog/features/feature.entity';
import { CounterRef } from './counters/counter-key';
import { Alert } from '../catalog/plans/alerts';

/** One usage event, resolved against its subscription, feature and period, ready to be counted. */
export interface UsageEvent extends CounterRef {
  featureKey: string;
  strategy: Strategy;
  /** The end of the event's period, or of its part before a plan change "now". */
  periodEnd: Date;
  /** Whole units as a decimal string: counts are bigint. */
  quantity: string;
  idempotencyKey: string | null;
  occurredAt: Date;
  /**
   * Epoch ms at which the request carrying the event is answered 503 if it has not been yet
   * (REQUEST_TIMEOUT_MS after it was resolved): an event still queued then is not counted.
   */
  deadline: number;
  /** The counter's usage alerts (null: none), read when the event was resolved. */
  alerts: readonly Alert[] | null;
}
