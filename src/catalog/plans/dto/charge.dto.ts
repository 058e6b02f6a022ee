import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { IsKey } from '../../../common/dto-rules';
import { MAX_ALERTS } from '../alerts';
import { AlertDto } from './alert.dto';

export class ChargeDto {
  /** The key of a feature created with POST /v1/features. */
  @IsKey()
  feature: string;

  /** Units allowed per period; null or absent: unlimited. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  limit?: number | null;

  /** Validated against the pricing models by validatePricing (billing/pricing). */
  @IsOptional()
  @IsObject()
  pricing?: Record<string, any> | null;

  /**
   * Usage alerts: `usage.threshold_crossed` is announced once per period for each, when the count
   * reaches it. Up to 10; `percent` only where the charge has a limit. Like limits, a change
   * applies from each subscription's next period.
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALERTS)
  @ValidateNested({ each: true })
  @Type(() => AlertDto)
  alerts?: AlertDto[] | null;
}
