import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common/paging/page';

export class UsageAnswerResponse {
  @ApiProperty({ enum: [true] })
  accepted: true;
  /** true (status 200): this idempotencyKey was accepted before, nothing was counted again. */
  duplicate: boolean;
  feature: string;
  /** Units used in the period, this event included. */
  @ApiProperty({ type: 'integer', example: 42 })
  used: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited', example: 100 })
  limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited', example: 58 })
  remaining: number | null;
  @ApiProperty({ format: 'date-time' })
  periodStart: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd: string;
}

export class FeatureUsageResponse {
  feature: string;
  @ApiProperty({ type: 'integer' })
  used: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' })
  limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' })
  remaining: number | null;
}

/** A subscription's billing period (or its part before or after a plan change "now"). */
export class SubscriptionPeriodResponse {
  @ApiProperty({ format: 'uuid' })
  subscriptionId: string;
  @ApiProperty({ format: 'date-time' })
  periodStart: string;
  @ApiProperty({ format: 'date-time' })
  periodEnd: string;
}

export class PeriodUsageResponse extends SubscriptionPeriodResponse {
  @ApiProperty({ type: () => [FeatureUsageResponse] })
  features: FeatureUsageResponse[];
}

/** One event's result: the fields of a 201/200 answer, or of the error it would have been alone. */
export class BatchResultResponse {
  [field: string]: unknown;

  /** Position of the event in `events`. */
  @ApiProperty({ type: 'integer' })
  index: number;

  /** accepted, duplicate, or the error code the event would have had on its own (limit_exceeded, invalid, not_found, …). */
  @ApiProperty({ example: 'accepted' })
  status: string;
}

export class BatchResultsResponse {
  /** One result per event, in the order of `events`. */
  @ApiProperty({ type: () => [BatchResultResponse] })
  results: BatchResultResponse[];
}

/** One event of the ledger, as GET /v1/usage/events lists it (and as its CSV columns are named). */
export class UsageEventResponse {
  /** The ledger's id: a decimal string (a 64-bit number). */
  @ApiProperty({ example: '8325' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  subscriptionId: string;
  /** The feature key. */
  feature: string;
  @ApiProperty({ type: 'integer' })
  quantity: number;
  @ApiProperty({ type: 'string', nullable: true })
  idempotencyKey: string | null;
  /** When the usage happened, as sent (or when it was received): it picks the period. */
  @ApiProperty({ format: 'date-time' })
  occurredAt: string;
  /** When the ledger accepted it. */
  @ApiProperty({ format: 'date-time' })
  recordedAt: string;
  /** The start of the period it counts in. */
  @ApiProperty({ format: 'date-time' })
  periodStart: string;
}

export class UsageEventPageResponse extends PageOf(UsageEventResponse) {}
