import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CreateSubscriptionDto } from './create-subscription.dto';
import { SubscriptionsService, SubscriptionView } from './subscriptions.service';

@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @HttpCode(201)
  create(@Body() dto: CreateSubscriptionDto): Promise<SubscriptionView> {
    return this.subscriptions.create(dto);
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.get(id);
  }
}
