import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { AuthModule } from './auth/auth.module';
import { BillingModule } from './billing/billing.module';
import { CatalogModule } from './catalog/catalog.module';
import { TallyConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { PortalModule } from './portal/portal.module';
import { SchedulingModule } from './scheduling/scheduling.module';
import { UsageModule } from './usage/usage.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: TallyConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        MetricsModule,
        LifecycleModule,
        AuthModule,
        DatabaseModule.forRoot(config),
        CatalogModule,
        UsageModule,
        BillingModule,
        PortalModule,
        WebhooksModule,
        SchedulingModule,
        HealthModule,
      ],
    };
  }
}
