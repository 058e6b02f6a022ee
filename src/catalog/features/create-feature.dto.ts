import { IsIn, IsOptional } from 'class-validator';
import { IsKey, IsName } from '../../common/dto-rules';
import { Strategy } from './feature.entity';

/** Strategies that can be chosen today; `buffered` joins them with buffered metering. */
export const AVAILABLE_STRATEGIES: readonly Strategy[] = ['atomic', 'pessimistic', 'optimistic'];

export class CreateFeatureDto {
  @IsKey()
  key: string;

  @IsName()
  name: string;

  @IsOptional()
  @IsIn(AVAILABLE_STRATEGIES, { message: `strategy must be one of: ${AVAILABLE_STRATEGIES.join(', ')}` })
  strategy?: Strategy;
}
