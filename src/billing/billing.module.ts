import { Module } from '@nestjs/common';

/** Pricing (billing/pricing) and, with the billing issue, rollups into invoices. */
@Module({})
export class BillingModule {}
