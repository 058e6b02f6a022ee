import { ApiProperty } from '@nestjs/swagger';

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
