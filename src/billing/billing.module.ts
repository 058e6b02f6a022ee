import { Module } from '@nestjs/common';
import { CountersModule } from '../usage/counters/counters.module';
import { OutboxModule } from '../webhooks/outbox/outbox.module';
import { InvoicesController } from './invoices/invoices.controller';
import { InvoicesRepository } from './invoices/invoices.repository';
import { InvoicesService } from './invoices/invoices.service';
import { UpcomingInvoiceController } from './invoices/upcoming-invoice.controller';
import { BillingRollupService } from './rollup/billing-rollup.service';
import { RollupController } from './rollup/rollup.controller';
import { RollupRepository } from './rollup/rollup.repository';

/** Pricing (billing/pricing), rollups of ended periods into invoices (billing/rollup), invoices. */
@Module({
  imports: [CountersModule, OutboxModule],
  controllers: [RollupController, InvoicesController, UpcomingInvoiceController],
  providers: [BillingRollupService, RollupRepository, InvoicesService, InvoicesRepository],
  exports: [BillingRollupService],
})
export class BillingModule {}
