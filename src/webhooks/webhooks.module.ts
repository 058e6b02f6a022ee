import { Module } from '@nestjs/common';
import { DeliveryWorker } from './delivery/delivery-worker';
import { DeliveryRepository } from './delivery/delivery.repository';
import { WebhookEndpointsController } from './endpoints/webhook-endpoints.controller';
import { WebhookEndpointsRepository } from './endpoints/webhook-endpoints.repository';
import { WebhookEndpointsService } from './endpoints/webhook-endpoints.service';
import { EventsController } from './outbox/events.controller';
import { EventsService } from './outbox/events.service';
import { OutboxModule } from './outbox/outbox.module';

/** Events (the outbox), webhook endpoints, and the workers that deliver the one to the other. */
@Module({
  imports: [OutboxModule],
  controllers: [EventsController, WebhookEndpointsController],
  providers: [EventsService, WebhookEndpointsService, WebhookEndpointsRepository, DeliveryRepository, DeliveryWorker],
})
export class WebhooksModule {}
