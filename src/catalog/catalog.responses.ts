import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../common/paging/page';
import { STRATEGIES, Strategy } from './features/feature.entity';
import { INTERVALS, Interval } from './subscriptions/billing-period';
import { SUBSCRIPTION_STATUSES, SubscriptionStatus } from './subscriptions/subscription-status';

// Each class view the service returns: a field added there and not here fails the build.

export class FeatureResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** @example "messages" */
  key: string;
  name: string;
  @ApiProperty({ enum: STRATEGIES, description: 'How usage of this feature is counted' })
  strategy: Strategy;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class ChargeResponse {
  /** The feature key. */
  feature: string;
  /** Units allowed per period; null: unlimited. */
  @ApiProperty({ type: 'integer', nullable: true, example: 100 })
  limit: number | null;
  /** The pricing model of this charge, as given; null: usage is not billed. */
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, example: { model: 'per_unit', unitPrice: '0.01' } })
  pricing: Record<string, unknown> | null;
  /** Usage alerts, each `{ percent }` or `{ units }`; empty: none. */
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: { type: 'integer' } }, example: [{ percent: 80 }, { units: 5000 }] })
  alerts: ({ percent: number } | { units: number })[];
}

export class PlanResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  key: string;
  name: string;
  /** ISO 4217. @example "USD" */
  currency: string;
  @ApiProperty({ enum: INTERVALS })
  interval: Interval;
  /** A decimal string, charged each period. @example "49.00" */
  baseFee: string;
  @ApiProperty({ type: () => [ChargeResponse] })
  charges: ChargeResponse[];
  /** Bumped by every PATCH; sent back as If-Match. Also the ETag header. */
  @ApiProperty({ type: 'integer', example: 1 })
  version: number;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class CustomerResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  /** Your id for the customer. @example "acme" */
  externalId: string;
  name: string;
  @ApiProperty({ type: 'string', format: 'email', nullable: true })
  email: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class SubscriptionResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  customerExternalId: string;
  planKey: string;
  /** `ended` once endsAt has passed, `cancelled` while a cancellation's end is ahead, else `active`. */
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES })
  status: SubscriptionStatus;
  /** The billing anchor: period k is [startAt + k·interval, startAt + (k+1)·interval). */
  @ApiProperty({ format: 'date-time' })
  startAt: string;
  /** When a cancelled subscription ends; null while it runs on. */
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  endsAt: string | null;
  @ApiProperty({ format: 'date-time' })
  currentPeriodStart: string;
  @ApiProperty({ format: 'date-time' })
  currentPeriodEnd: string;
  /** The plan a change at period_end moves to, from pendingPlanFrom on; null when none is pending. */
  @ApiProperty({ type: 'string', nullable: true })
  pendingPlanKey: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  pendingPlanFrom: string | null;
}

export class FeaturePageResponse extends PageOf(FeatureResponse) {}
export class PlanPageResponse extends PageOf(PlanResponse) {}
export class CustomerPageResponse extends PageOf(CustomerResponse) {}
export class SubscriptionPageResponse extends PageOf(SubscriptionResponse) {}
