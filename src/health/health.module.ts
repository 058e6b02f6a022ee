import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { UsageModule } from '../usage/usage.module';
import { HealthController } from './health.controller';
import { ReadinessIndicators } from './readiness.indicators';

/** /health/live and /health/ready for orchestrators and load balancers; open, never logged per request. */
@Module({
  // Terminus' own logger would log every failing probe; the controller logs changes of readiness instead.
  imports: [TerminusModule.forRoot({ logger: false }), UsageModule],
  controllers: [HealthController],
  providers: [ReadinessIndicators],
})
export class HealthModule {}
