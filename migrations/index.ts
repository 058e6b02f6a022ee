import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';
import { BufferedMetering1764000100000 } from './1764000100000-BufferedMetering';
import { Invoices1764100000000 } from './1764100000000-Invoices';
import { LedgerWithoutForeignKeys1764200000000 } from './1764200000000-LedgerWithoutForeignKeys';
import { LedgerBatchNumbers1764300000000 } from './1764300000000-LedgerBatchNumbers';
import { CounterTerms1764400000000 } from './1764400000000-CounterTerms';
import { PlanPhases1764500000000 } from './1764500000000-PlanPhases';
import { ListIndexes1764510000000 } from './1764510000000-ListIndexes';
import { WebhookOutbox1764520000000 } from './1764520000000-WebhookOutbox';
import { PortalSessions1764600000000 } from './1764600000000-PortalSessions';
import { Reservations1764700000000 } from './1764700000000-Reservations';
import { UsageAlerts1764800000000 } from './1764800000000-UsageAlerts';

/** Every migration, oldest first. Listed by hand so that ts-jest, ts-node and the build all load the same set. */
export const migrations = [
  InitialSchema1764000000000,
  BufferedMetering1764000100000,
  Invoices1764100000000,
  LedgerWithoutForeignKeys1764200000000,
  LedgerBatchNumbers1764300000000,
  CounterTerms1764400000000,
  PlanPhases1764500000000,
  ListIndexes1764510000000,
  WebhookOutbox1764520000000,
  PortalSessions1764600000000,
  Reservations1764700000000,
  UsageAlerts1764800000000,
];
