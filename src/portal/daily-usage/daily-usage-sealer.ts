import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DailyUsageRepository } from './daily-usage.repository';
import { BACKGROUND_DB } from '../../database/database.module';

/** How often the ledger's new events are folded into the daily sums. */
const SEAL_INTERVAL_MS = 60_000;
/** The most of the ledger (by recorded_at) one transaction seals: a backlog is worked through in bounded steps. */
const SLICE_MS = 86_400_000;

/**
 * Keeps the daily rollup (usage_daily) close behind the ledger, so that the portal page sums at most
 * a minute or two of events live. Figures never depend on it: an unsealed event is summed from the
 * ledger instead, only slower. Several instances may tick together: the watermark row's lock
 * (SKIP LOCKED) lets one seal and the others return.
 */
@Injectable()
export class DailyUsageSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DailyUsageSealer.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    @InjectDataSource(BACKGROUND_DB) private readonly db: DataSource,
    private readonly daily: DailyUsageRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), SEAL_INTERVAL_MS);
    this.timer.unref();
  }

  /** A tick while the previous seal still runs is dropped: that one covers it. */
  tick(): void {
    if (this.running || this.stopping) return;
    this.running = this.sealAll()
      .catch((error) => this.logger.warn(`daily usage seal failed error=${(error as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  /** Seals everything that is safe to seal, a slice per transaction; returns the slices sealed. */
  async sealAll(): Promise<number> {
    let slices = 0;
    for (let more = true; more && !this.stopping; ) {
      const slice = await this.sealSlice();
      if (slice.sealed) slices++;
      more = slice.more;
    }
    return slices;
  }

  /**
   * One slice. `more`: the slice was cut at SLICE_MS, the backlog goes on. A slice that reaches the
   * safe point ends the run, or the loop would chase the clock (each transaction's safe point is a
   * few milliseconds later) with slices of nothing.
   */
  private sealSlice(): Promise<{ sealed: boolean; more: boolean }> {
    return this.db.transaction(async (manager) => {
      const mark = await this.daily.lockWatermark(manager);
      if (!mark || mark.safe <= mark.sealedThrough) return { sealed: false, more: false };
      const cut = mark.sealedThrough.getTime() + SLICE_MS;
      const to = new Date(Math.min(mark.safe.getTime(), cut));
      await this.daily.seal(manager, mark.sealedThrough, to);
      return { sealed: true, more: cut < mark.safe.getTime() };
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }
}
