import { IsIn, IsOptional } from 'class-validator';
import { IsKey, IsName } from '../../common/dto-rules';
import { Strategy } from './feature.entity';

export const AVAILABLE_STRATEGIES: readonly Strategy[] = ['atomic', 'pessimistic', 'optimistic', 'buffered'];

export class CreateFeatureDto {
  @IsKey()
  key: string;

  @IsName()
  name: string;

  @IsOptional()
  @IsIn(AVAILABLE_STRATEGIES, { message: `strategy must be one of: ${AVAILABLE_STRATEGIES.join(', ')}` })
  strategy?: Strategy;
}
