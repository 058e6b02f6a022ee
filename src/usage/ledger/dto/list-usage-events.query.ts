import { IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { IsKey } from '../../../common/dto-rules';
import { PageQuery } from '../../../common/paging/page.query';

/** The filters of the event log, in JSON pages and as CSV (where limit and cursor do not apply). */
export class ListUsageEventsQuery extends PageQuery {
  /** Whose events: required, the log is read one subscription at a time. */
  @IsUUID()
  subscriptionId: string;

  /** Only this feature's events (its key). */
  @IsOptional()
  @IsKey()
  feature?: string;

  /** Events with occurredAt at or after this instant (inclusive). ISO 8601; without an offset, UTC. */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  from?: string;

  /** Events with occurredAt before this instant (exclusive), so that `to` of one range is `from` of the next. */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  to?: string;
}
