import { IsIn, IsOptional } from 'class-validator';
import { EVENT_TYPES, EventType } from '../../event-types';
import { PageQuery } from '../../../common/paging/page.query';

export class ListEventsQuery extends PageQuery {
  @IsOptional()
  @IsIn(EVENT_TYPES, { message: `type must be one of: ${EVENT_TYPES.join(', ')}` })
  type?: EventType;
}
