import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';

/** Owns the schedules: each tick calls an idempotent service method under an advisory lock. */
@Module({ imports: [ScheduleModule.forRoot()] })
export class SchedulingModule {}
