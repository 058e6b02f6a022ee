import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** A usage alert of a charge: exactly one of `percent` (of the limit) or `units`. */
export class AlertDto {
  /** Announced when the period's count reaches this share of the charge's limit (1–100). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  percent?: number;

  /** Announced when the period's count reaches this many units. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  units?: number;
}
