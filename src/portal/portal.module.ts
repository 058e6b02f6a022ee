import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingModule } from '../billing/billing.module';
import { Customer } from '../catalog/customers/customer.entity';
import { UsageModule } from '../usage/usage.module';
import { DailyUsageRepository } from './daily-usage/daily-usage.repository';
import { DailyUsageSealer } from './daily-usage/daily-usage-sealer';
import { PortalPageController } from './page/portal-page.controller';
import { PortalViewRepository } from './page/portal-view.repository';
import { PortalViewService } from './page/portal-view.service';
import { PortalSessionsController } from './sessions/portal-sessions.controller';
import { PortalSessionsRepository } from './sessions/portal-sessions.repository';
import { PortalSessionsService } from './sessions/portal-sessions.service';

/** The customer usage page (GET /portal/:token) and the links that open it (issue 14). */
@Module({
  imports: [TypeOrmModule.forFeature([Customer]), UsageModule, BillingModule],
  controllers: [PortalSessionsController, PortalPageController],
  providers: [
    PortalSessionsService,
    PortalSessionsRepository,
    PortalViewService,
    PortalViewRepository,
    DailyUsageRepository,
    DailyUsageSealer,
  ],
})
export class PortalModule {}
