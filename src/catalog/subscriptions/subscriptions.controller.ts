import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { CancelSubscriptionDto } from './cancel-subscription.dto';
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
}
