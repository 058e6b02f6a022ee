import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DrainService } from '../lifecycle/drain.service';
import { BufferedFlusher } from '../usage/buffered/buffered-flusher';

/** The checks of /health/ready besides the database ping (terminus' TypeOrmHealthIndicator). */
@Injectable()
export class ReadinessIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly drain: DrainService,
    private readonly buffered: BufferedFlusher,
  ) {}

  /** Down from SIGTERM on, so that the load balancer stops sending before the listener closes. */
  shutdown(): HealthIndicatorResult {
    const check = this.indicators.check('shutdown');
    return this.drain.isDraining ? check.down({ message: 'draining for shutdown' }) : check.up();
  }

  /**
   * Every migration this build knows of is recorded as applied (they run at start-up). Bounded
   * like the ping: a probe that hangs on an unreachable database tells the load balancer nothing.
   */
  async migrations(timeoutMs: number): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('migrations');
    let timer: NodeJS.Timeout | undefined;
    try {
      const table = this.db.options.migrationsTableName ?? 'migrations';
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      const rows: { name: string }[] = await Promise.race([this.db.query(`SELECT name FROM "${table}"`), timedOut]);
      const applied = new Set<string>(rows.map((row) => row.name));
      const pending = this.db.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
      return pending.length === 0 ? check.up({ applied: applied.size }) : check.down({ pending });
    } catch (error) {
      return check.down({ message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Registered as a live instance (its liveness lock held), the flush scheduled. */
  bufferedMetering(): HealthIndicatorResult {
    const check = this.indicators.check('buffered');
    return this.buffered.backgroundWorkRunning
      ? check.up()
      : check.down({ message: 'not registered as a live instance, or the flush is not scheduled' });
  }
}
