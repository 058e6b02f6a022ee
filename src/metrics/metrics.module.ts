import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance } from 'fastify';
import { BufferedMetrics } from './buffered.metrics';
import { HttpMetrics } from './http.metrics';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics.registry';
import { ReservationsMetrics } from './reservations.metrics';
import { RollupMetrics } from './rollup.metrics';
import { UsageMetrics } from './usage.metrics';
import { WebhookMetrics } from './webhook.metrics';

/** Prometheus metrics at /metrics. Global: the modules that count inject their metrics class. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, HttpMetrics, UsageMetrics, BufferedMetrics, RollupMetrics, WebhookMetrics, ReservationsMetrics],
  exports: [MetricsRegistry, UsageMetrics, BufferedMetrics, RollupMetrics, WebhookMetrics, ReservationsMetrics],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly http: HttpMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      this.http.observe(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
}
