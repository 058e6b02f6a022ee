import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CountersModule } from '../usage/counters/counters.module';
import { OutboxModule } from '../webhooks/outbox/outbox.module';
import { CustomersController } from './customers/customers.controller';
import { Customer } from './customers/customer.entity';
import { CustomersService } from './customers/customers.service';
import { Feature } from './features/feature.entity';
import { FeaturesController } from './features/features.controller';
import { FeaturesService } from './features/features.service';
import { PlanCharge } from './plans/plan-charge.entity';
import { PlanVersion } from './plans/plan-version.entity';
import { Plan } from './plans/plan.entity';
import { PlansController } from './plans/plans.controller';
import { PlansService } from './plans/plans.service';
import { Subscription } from './subscriptions/subscription.entity';
import { SubscriptionsController } from './subscriptions/subscriptions.controller';
import { SubscriptionPlansRepository } from './subscriptions/subscription-plans.repository';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository';
import { SubscriptionsService } from './subscriptions/subscriptions.service';

/** Features, plans, customers and subscriptions: what is metered, for whom, under which limits. */
@Module({
  imports: [TypeOrmModule.forFeature([Feature, Plan, PlanVersion, PlanCharge, Customer, Subscription]), CountersModule, OutboxModule],
  controllers: [FeaturesController, PlansController, CustomersController, SubscriptionsController],
  providers: [FeaturesService, PlansService, CustomersService, SubscriptionsService, SubscriptionPlansRepository, SubscriptionsRepository],
  exports: [SubscriptionsService, FeaturesService],
})
export class CatalogModule {}
