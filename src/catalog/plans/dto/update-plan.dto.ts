import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateNested } from 'class-validator';
import { IsName } from '../../../common/dto-rules';
import { ChargeDto } from './charge.dto';

/**
 * What PATCH may change. Currency and interval are fixed for the life of a plan: periods and
 * invoices already made depend on them. `charges`, when given, replaces the whole list.
 */
export class UpdatePlanDto {
  @IsOptional()
  @IsName()
  name?: string;

  @IsOptional()
  baseFee?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ChargeDto)
  charges?: ChargeDto[];
}
