import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { ErrorCode } from '../common/errors/tally.error';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { isOpsPath } from './ops-paths';

/**
 * The first step of a graceful shutdown (main.ts, on SIGTERM): stop taking requests and let the
 * ones in flight finish, while everything they need (pool, strategies) is still open. From
 * drain() on, /health/ready answers 503 and any new API request gets 503 `unavailable` with
 * `Connection: close`; the listener stays open until app.close(), so probes still get an answer.
 */
@Injectable()
export class DrainService implements OnModuleInit {
  private readonly logger = new Logger(DrainService.name);
  private draining = false;
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    registry: MetricsRegistry,
  ) {
    const self = this;
    new Gauge({
      name: 'tally_http_requests_in_flight',
      help: 'API requests received and not yet answered (health probes and scrapes not included).',
      registers: [registry],
      collect() {
        this.set(self.inFlight);
      },
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (isOpsPath(request.url)) return done();
      if (this.draining) {
        const body = { statusCode: 503, code: ErrorCode.Unavailable, message: 'shutting down; retry on another instance' };
        reply.code(503).header('connection', 'close').header('retry-after', '1').send(body);
        return;
      }
      this.inFlight++;
      // 'close' comes once the answer is out or the client went away, whichever is first.
      reply.raw.once('close', () => this.settled());
      done();
    });
  }

  /** Stops taking requests and resolves once every request taken before has been answered. */
  async drain(): Promise<void> {
    this.draining = true;
    this.logger.log(`draining inFlight=${this.inFlight}`);
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.logger.log('drained');
  }

  private settled(): void {
    this.inFlight--;
    if (this.inFlight > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
