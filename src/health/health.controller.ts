import { Controller, Get, Logger, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ErrorCode, TallyError } from '../common/errors/tally.error';
import { ReadinessIndicators } from './readiness.indicators';

/** Each database check of the readiness probe answers within this, reachable or not. */
const PROBE_TIMEOUT_MS = 1000;

@ApiTags('operations')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);
  /** The last readiness seen, so that only changes are logged, not every probe. */
  private wasReady: boolean | undefined;

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly readiness: ReadinessIndicators,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers HTTP. Nothing else is checked, so a database outage never restarts it' })
  live(): HealthCheckResult {
    // What terminus answers for no indicators, without its machinery: this route only shows that
    // the process answers, and it is called every few seconds by every probe.
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: the database answers, every migration is applied, buffered metering runs, and the instance is not shutting down',
  })
  async ready(): Promise<HealthCheckResult> {
    try {
      const result = await this.health.check([
        () => this.readiness.shutdown(),
        () => this.database.pingCheck('database', { timeout: PROBE_TIMEOUT_MS }),
        () => this.readiness.migrations(PROBE_TIMEOUT_MS),
        () => this.readiness.bufferedMetering(),
      ]);
      this.changed(true, result);
      return result;
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      this.changed(false, result);
      const down = Object.keys(result.error ?? {}).join(', ');
      // The contract's error body, with terminus' status/info/error/details beside it.
      throw new TallyError(ErrorCode.Unavailable, `not ready: ${down}`, { ...result });
    }
  }

  private changed(ready: boolean, result: HealthCheckResult): void {
    if (this.wasReady === ready) return;
    this.wasReady = ready;
    if (ready) this.logger.log('ready=true');
    else this.logger.warn(`ready=false down=${JSON.stringify(result.error ?? {})}`);
  }
}
