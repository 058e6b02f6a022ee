import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { BufferedFlusher } from './buffered/buffered-flusher';
import { BufferedUsageRepository } from './buffered/buffered-usage.repository';
import { CounterCache } from './buffered/counter-cache';
import { LeaseBroker } from './buffered/lease-broker';
import { LedgerBatcher } from './buffered/ledger-batcher';
import { UsageInstance } from './buffered/usage-instance';
import { CountersModule } from './counters/counters.module';
import { UsageEventLogService } from './ledger/usage-event-log.service';
import { UsageEventsController } from './ledger/usage-events.controller';
import { UsageEventsRepository } from './ledger/usage-events.repository';
import { UsageAlerts } from './alerts/usage-alerts';
import { UsageAlertsRepository } from './alerts/usage-alerts.repository';
import { EntitlementsController } from './entitlements/entitlements.controller';
import { EntitlementsService } from './entitlements/entitlements.service';
import { ReservationsController } from './reservations/reservations.controller';
import { ReservationsRepository } from './reservations/reservations.repository';
import { ReservationsService } from './reservations/reservations.service';
import { AtomicStrategy } from './strategies/atomic.strategy';
import { BufferedStrategy } from './strategies/buffered.strategy';
import { OptimisticStrategy } from './strategies/optimistic.strategy';
import { PessimisticStrategy } from './strategies/pessimistic.strategy';
import { UsageStrategies } from './strategies/usage-strategies';
import { UsageBatchService } from './usage-batch.service';
import { UsageEventResolver } from './usage-event.resolver';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/**
 * Recording usage against plan limits, exactly once, with the strategy each feature names; asking
 * whether usage would fit (entitlements); holding quantity against a limit (reservations).
 */
@Module({
  imports: [CatalogModule, CountersModule],
  controllers: [UsageController, UsageEventsController, EntitlementsController, ReservationsController],
  providers: [
    UsageService,
    UsageBatchService,
    UsageEventResolver,
    UsageEventsRepository,
    UsageEventLogService,
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
    EntitlementsService,
    ReservationsService,
    ReservationsRepository,
  ],
  // The readiness check asks whether the buffered strategy's background work runs; the portal
  // page shows each feature's used and limit as periodUsage reads them; the schedule expires
  // reservations.
  exports: [BufferedFlusher, UsageService, ReservationsService, EntitlementsService],
})
export class UsageModule {}
