import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsKey } from '../../common/dto-rules';
import { PageQuery } from '../../common/paging/page.query';
import { SUBSCRIPTION_STATUSES, SubscriptionStatus } from './subscription-status';

export class ListSubscriptionsQuery extends PageQuery {
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  customerExternalId?: string;

  @IsOptional()
  @IsKey()
  planKey?: string;

  /** As of the request: `ended` once endsAt has passed, `cancelled` while it is ahead, else `active`. */
  @IsOptional()
  @IsIn(SUBSCRIPTION_STATUSES, { message: `status must be one of: ${SUBSCRIPTION_STATUSES.join(', ')}` })
  status?: SubscriptionStatus;
}
