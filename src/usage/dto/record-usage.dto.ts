import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsInt, IsNotEmpty, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';

/** Optional, but not nullable: null is a malformed value, not a missing one (@IsOptional lets null through). */
const IfPresent = () => ValidateIf((_, value) => value !== undefined);

export class RecordUsageDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  subscriptionId: string;

  /** The feature key. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  feature: string;

  /** Whole units, 1 to 2^53 − 1 (the largest a JSON number carries exactly); default 1. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 })
  @IfPresent()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  quantity?: number;

  /** Scoped to the subscription: a second event with the same key is a duplicate, never a second count. */
  @IfPresent()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  idempotencyKey?: string;

  /** Picks the period the usage counts in; defaults to now. */
  @IfPresent()
  @IsISO8601({ strict: true, strictSeparator: true })
  occurredAt?: string;
}
