import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ReservationsService } from '../usage/reservations/reservations.service';

const JOB = 'reservation-expiry';
/** How soon after its expiresAt a reservation's quantity is free again, at the latest (plus a sweep's duration). */
export const EXPIRY_SWEEP_MS = 1000;

/**
 * Every EXPIRY_SWEEP_MS, on every instance, releases the held reservations past their expiresAt.
 * No advisory lock takes turns here: the sweep claims rows with FOR UPDATE SKIP LOCKED, so
 * instances sweeping at once share the work instead of waiting, and whichever instances are alive
 * sweep what a dead one made. A commit or release holding a row lock is skipped, not waited for.
 */
@Injectable()
export class ReservationExpiryCron implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReservationExpiryCron.name);
  private running: Promise<void> | undefined;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly reservations: ReservationsService,
  ) {}

  onApplicationBootstrap(): void {
    this.registry.addInterval(JOB, setInterval(() => this.tick(), EXPIRY_SWEEP_MS));
  }

  /** A tick while the previous sweep still runs is dropped: that sweep covers it. */
  tick(): void {
    this.running ??= this.reservations
      .expireDue()
      .then((expired) => expired > 0 && this.logger.log(`reservations expired count=${expired}`))
      .catch((error) => this.logger.warn(`reservation expiry failed error=${(error as Error).message}`))
      .then(() => (this.running = undefined));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.registry.doesExist('interval', JOB)) this.registry.deleteInterval(JOB);
    await this.running;
  }
}
