import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from './metrics.registry';

export type ReservationOutcome = 'held' | 'committed' | 'released' | 'expired';

/** Reservations by what became of them, and what they hold now. */
@Injectable()
export class ReservationsMetrics {
  private readonly outcomes: Counter<'outcome'>;
  private held: () => Promise<number> = async () => 0;

  constructor(registry: MetricsRegistry) {
    this.outcomes = new Counter({
      name: 'tally_reservations_total',
      help: 'Reservations by outcome: held (made), committed, released, expired (released by Tally after expiresAt). Expiries are counted by the instance that swept them.',
      labelNames: ['outcome'],
      registers: [registry],
    });
    const self = this;
    new Gauge({
      name: 'tally_reservations_held_units',
      help: 'Units held by all reservations not yet committed, released or expired (read from the database at scrape time: the same on every instance).',
      registers: [registry],
      async collect() {
        this.set(await self.held());
      },
    });
  }

  /** The reservations' repository tells how much is held; read at scrape time. */
  watchHeld(read: () => Promise<number>): void {
    this.held = read;
  }

  count(outcome: ReservationOutcome, n = 1): void {
    if (n > 0) this.outcomes.inc({ outcome }, n);
  }
}
