import { DynamicModule, Module } from '@nestjs/common';
import { BillingModule } from './billing/billing.module';
import { CatalogModule } from './catalog/catalog.module';
import { TallyConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { SchedulingModule } from './scheduling/scheduling.module';
import { UsageModule } from './usage/usage.module';

@Module({})
export class AppModule {
  /** `config.databaseUrl` must be set: main.ts starts the embedded server first when it is not. */
  static forRoot(config: TallyConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, CatalogModule, UsageModule, BillingModule, SchedulingModule],
    };
  }
}
