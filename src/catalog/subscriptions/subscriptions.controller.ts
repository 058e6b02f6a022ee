import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { CancelSubscriptionDto } from './cancel-subscription.dto';
import { ChangePlanDto } from './change-plan.dto';
import { CreateSubscriptionDto } from './create-subscription.dto';
import { SubscriptionsService } from './subscriptions.service';
import { SubscriptionPageResponse, SubscriptionResponse } from '../catalog.responses';
import { ListSubscriptionsQuery } from './list-subscriptions.query';

@ApiV1('catalog')
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: SubscriptionResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound)
  create(@Body() dto: CreateSubscriptionDto): Promise<SubscriptionResponse> {
    return this.subscriptions.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: SubscriptionPageResponse, description: 'Newest first' })
  @ApiErrors(ErrorCode.ValidationFailed)
  list(@Query() query: ListSubscriptionsQuery): Promise<SubscriptionPageResponse> {
    return this.subscriptions.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiErrors(ErrorCode.NotFound)
  get(@Param('id') id: string): Promise<SubscriptionResponse> {
    return this.subscriptions.get(id);
  }

  /** 200 with the subscription as it now is; 409 conflict when it was cancelled before. */
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound, ErrorCode.Conflict)
  cancel(@Param('id') id: string, @Body() dto: CancelSubscriptionDto): Promise<SubscriptionResponse> {
    return this.subscriptions.cancel(id, dto.at);
  }

  /**
   * 200 with the subscription: `planKey` and the current period show a change "now", `pendingPlanKey`
   * and `pendingPlanFrom` one at period_end. 404 for an unknown plan; 409 conflict for a plan in
   * another currency or interval, the same plan, a cancelled or ended subscription, a change
   * already pending, or another change made at the same time.
   */
  @Post(':id/change-plan')
  @HttpCode(200)
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound, ErrorCode.Conflict)
  changePlan(@Param('id') id: string, @Body() dto: ChangePlanDto): Promise<SubscriptionResponse> {
    return this.subscriptions.changePlan(id, dto.planKey, dto.at ?? 'period_end');
  }

  /** Withdraws the change pending at period_end: 200 with the subscription; 404 when none is pending. */
  @Delete(':id/pending-change')
  @HttpCode(200)
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiErrors(ErrorCode.NotFound, ErrorCode.Conflict)
  withdrawPendingChange(@Param('id') id: string): Promise<SubscriptionResponse> {
    return this.subscriptions.withdrawPendingChange(id);
  }
}
