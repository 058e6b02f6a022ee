import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { AtomicStrategy } from './strategies/atomic.strategy';
import { OptimisticStrategy } from './strategies/optimistic.strategy';
import { PessimisticStrategy } from './strategies/pessimistic.strategy';
import { UsageController } from './usage.controller';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

/** Recording usage against plan limits, exactly once, with the strategy each feature names. */
@Module({
  imports: [CatalogModule],
  controllers: [UsageController],
  providers: [UsageService, UsageRepository, AtomicStrategy, PessimisticStrategy, OptimisticStrategy],
  exports: [UsageService, UsageRepository],
})
export class UsageModule {}
