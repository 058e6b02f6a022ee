import { Strategy } from '../catalog/features/feature.entity';
import { CounterRef } from './counters/counter-key';

/** One usage event, resolved against its subscription, feature and period, ready to be counted. */
export interface UsageEvent extends CounterRef {
  planId: string;
  featureKey: string;
  strategy: Strategy;
  periodEnd: Date;
  /** Whole units as a decimal string: counts are bigint. */
  quantity: string;
  idempotencyKey: string | null;
  occurredAt: Date;
}
