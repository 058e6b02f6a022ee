import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { BufferedUsageRepository } from './buffered/buffered-usage.repository';
import { LedgerBatcher } from './buffered/ledger-batcher';
import { UsageInstance } from './buffered/usage-instance';
import { AtomicStrategy } from './strategies/atomic.strategy';
import { BufferedStrategy } from './strategies/buffered.strategy';
import { OptimisticStrategy } from './strategies/optimistic.strategy';
import { PessimisticStrategy } from './strategies/pessimistic.strategy';
import { UsageController } from './usage.controller';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

/** Recording usage against plan limits, exactly once, with the strategy each feature names. */
@Module({
  imports: [CatalogModule],
  controllers: [UsageController],
  providers: [
    UsageService,
    UsageRepository,
    AtomicStrategy,
    PessimisticStrategy,
    OptimisticStrategy,
    BufferedStrategy,
    BufferedUsageRepository,
    LedgerBatcher,
    UsageInstance,
  ],
  exports: [UsageService, UsageRepository, BufferedStrategy],
})
export class UsageModule {}
