import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { BillingModule } from '../billing/billing.module';
import { UsageModule } from '../usage/usage.module';
import { BillingRollupCron } from './billing-rollup.cron';
import { ReservationExpiryCron } from './reservation-expiry.cron';

/**
 * Owns the schedules: each tick calls an idempotent service method, under an advisory lock, or
 * (reservation expiry) claiming its rows with SKIP LOCKED.
 */
@Module({ imports: [ScheduleModule.forRoot(), BillingModule, UsageModule], providers: [BillingRollupCron, ReservationExpiryCron] })
export class SchedulingModule {}
