import { IsISO8601, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsKey } from '../../common/dto-rules';

export class CreateSubscriptionDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  customerExternalId: string;

  @IsKey()
  planKey: string;

  /** The billing anchor; defaults to now and may lie in the past (backfilled usage). */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  startAt?: string;
}
