import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { BillingRollupService } from '../billing/rollup/billing-rollup.service';
import { TALLY_CONFIG } from '../config/config.module';
import { TallyConfig } from '../config/config';

const JOB = 'billing-rollup';

/**
 * Runs the billing rollup on BILLING_ROLLUP_CRON (UTC). The tick only calls the idempotent
 * BillingRollupService.run(), which takes the advisory lock itself: with several instances on one
 * schedule, one does the work and the others find the lock taken and return.
 * The expression comes from configuration, so the job is registered here rather than with @Cron().
 */
@Injectable()
export class BillingRollupCron implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BillingRollupCron.name);
  private running: Promise<void> | undefined;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly rollup: BillingRollupService,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {}

  onApplicationBootstrap(): void {
    const cronTime = this.config.billingRollupCron;
    if (!cronTime) {
      this.logger.log('billing rollup schedule off (BILLING_ROLLUP_CRON=off)');
      return;
    }
    const job = CronJob.from({ cronTime, onTick: () => this.tick(), start: true, timeZone: 'UTC' });
    this.registry.addCronJob(JOB, job);
    this.logger.log(`billing rollup scheduled cron="${cronTime}" timeZone=UTC`);
  }

  /** A tick while the previous run is still going is dropped: that run already covers it. */
  tick(): void {
    if (this.running) return;
    this.running = this.rollup
      .run({ signal: this.shutdown.signal })
      .then(() => undefined)
      .catch((error) => this.logger.error(`billing rollup failed error=${(error as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  /**
   * Stops between two chunks and waits for the one in flight, before the pool closes under it.
   * What is left is invoiced by the next run, on this instance or another.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.registry.doesExist('cron', JOB)) await this.registry.getCronJob(JOB).stop();
    this.shutdown.abort();
    await this.running;
  }
}
