import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, ValidateNested } from 'class-validator';
import { IsKey, IsName } from '../../../common/dto-rules';
import { INTERVALS, Interval } from '../../subscriptions/billing-period';
import { ChargeDto } from './charge.dto';

export class CreatePlanDto {
  @IsKey()
  key: string;

  @IsName()
  name: string;

  /** ISO 4217; checked against the currency table in plans.service. */
  @IsString()
  currency: string;

  @IsIn(INTERVALS, { message: `interval must be one of: ${INTERVALS.join(', ')}` })
  interval: Interval;

  /** A decimal string, e.g. "49" or "49.99"; charged each period. */
  @IsOptional()
  baseFee?: string;

  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ChargeDto)
  charges: ChargeDto[];
}
