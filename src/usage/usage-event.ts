import { Strategy } from '../catalog/features/feature.entity';

/** One usage event, resolved against its subscription, feature and period, ready to be counted. */
export interface UsageEvent {
  subscriptionId: string;
  planId: string;
  featureId: string;
  featureKey: string;
  strategy: Strategy;
  periodStart: Date;
  periodEnd: Date;
  /** Whole units as a decimal string: counts are bigint. */
  quantity: string;
  idempotencyKey: string | null;
  occurredAt: Date;
}

/** What a strategy reports. `refused` is resolved by the caller into duplicate, closed or over limit. */
export type CountResult =
  | { kind: 'accepted'; used: string; limit: string | null }
  | { kind: 'duplicate' }
  | { kind: 'refused' };

export interface UsageStrategy {
  /**
   * Counts the event against its counter and writes it to the ledger in one transaction —
   * both or neither — never letting `used` pass the counter's limit.
   */
  count(event: UsageEvent): Promise<CountResult>;
}
