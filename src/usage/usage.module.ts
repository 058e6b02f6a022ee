import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { BufferedFlusher } from './buffered/buffered-flusher';
import { BufferedUsageRepository } from './buffered/buffered-usage.repository';
import { CounterCache } from './buffered/counter-cache';
import { LeaseBroker } from './buffered/lease-broker';
import { LedgerBatcher } from './buffered/ledger-batcher';
import { UsageInstance } from './buffered/usage-instance';
import { CountersModule } from './counters/counters.module';
import { UsageEventsRepository } from './ledger/usage-events.repository';
import { UsageAlerts } from './alerts/usage-alerts';
import { UsageAlertsRepository } from './alerts/usage-alerts.repository';
import { AtomicStrategy } from './strategies/atomic.strategy';
import { BufferedStrategy } from './strategies/buffered.strategy';
import { OptimisticStrategy } from './strategies/optimistic.strategy';
import { PessimisticStrategy } from './strategies/pessimistic.strategy';
import { UsageStrategies } from './strategies/usage-strategies';
import { UsageBatchService } from './usage-batch.service';
import { UsageEventResolver } from './usage-event.resolver';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/** Recording usage against plan limits, exactly once, with the strategy each feature names. */
@Module({
  imports: [CatalogModule, CountersModule],
  controllers: [UsageController],
  providers: [
    UsageService,
    UsageBatchService,
    UsageEventResolver,
    UsageEventsRepository,
    UsageStrategies,
    AtomicStrategy,
    PessimisticStrategy,
    OptimisticStrategy,
    BufferedStrategy,
    BufferedFlusher,
    CounterCache,
    LeaseBroker,
    BufferedUsageRepository,
    LedgerBatcher,
    UsageInstance,
    UsageAlerts,
    UsageAlertsRepository,
  ],
  // The readiness check asks whether the buffered strategy's background work runs.
  exports: [BufferedFlusher],
})
export class UsageModule {}
