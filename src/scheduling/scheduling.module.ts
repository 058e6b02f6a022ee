import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { BillingModule } from '../billing/billing.module';
import { BillingRollupCron } from './billing-rollup.cron';

/** Owns the schedules: each tick calls an idempotent service method under an advisory lock. */
@Module({ imports: [ScheduleModule.forRoot(), BillingModule], providers: [BillingRollupCron] })
export class SchedulingModule {}
