import { Injectable } from '@nestjs/common';
import { UsageCountersRepository } from '../counters/usage-counters.repository';
import { UsageEvent } from '../usage-event';
import { StrictStrategy } from './strict-strategy';
import { CountResult } from './usage-strategy';

/**
 * One conditional UPDATE per event: `used = used + q WHERE … used + q <= limit`. The limit check
 * is part of the statement that moves the count, so two requests can never both see room for
 * the last unit; PostgreSQL's row lock orders concurrent UPDATEs and each re-evaluates its WHERE
 * against the row the previous one committed. The events that queued for a counter while its
 * last transaction ran go together through tally_count_atomic(), which runs those UPDATEs and
 * ledger INSERTs in turn: one statement and one round trip however many events it carries.
 */
@Injectable()
export class AtomicStrategy extends StrictStrategy {
  constructor(private readonly counters: UsageCountersRepository) {
    super();
  }

  protected async countTogether(events: UsageEvent[]): Promise<CountResult[]> {
    const outcomes = await this.counters.countAtomic(events[0], events, events[0].alerts !== null);
    return outcomes.map((o): CountResult => {
      if (o.status === 'accepted') return { kind: 'accepted', used: o.used, limit: o.limit };
      if (o.status === 'duplicate') return { kind: 'duplicate' };
      return { kind: 'refused', reason: o.status, used: o.used ?? '0', limit: o.limit };
    });
  }
}
