import { IsInt, IsObject, IsOptional, Max, Min } from 'class-validator';
import { IsKey } from '../../../common/dto-rules';

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
}
