import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { Rollback, inTransaction } from '../../common/transaction';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { UsageCountersRepository } from '../counters/usage-counters.repository';
import { UsageEventsRepository } from '../ledger/usage-events.repository';
import { UsageEvent } from '../usage-event';
import { contention } from '../usage.errors';
import { judgeInTurn } from './judge-in-turn';
import { StrictStrategy } from './strict-strategy';
import { CountResult } from './usage-strategy';
import { UsageAlerts } from '../alerts/usage-alerts';

const BASE_DELAY_MS = 1;
const MAX_DELAY_MS = 50;
/** Another writer moved the row (or took a key) since our read: nothing was written, try again. */
const LOST_RACE = Symbol('lost race');

/**
 * Read the counter with its version, decide, then `UPDATE … WHERE version = :v`. No lock is held
 * between read and write; a writer that lost the race matches no row and tries again from a
 * fresh read, after a jittered exponential backoff so that the losers do not collide again in
 * step. The events that queued for a counter in this instance while its last attempt ran share
 * the next one (one read, one version check, one ledger INSERT), so the races left are between
 * instances. After OPTIMISTIC_MAX_ATTEMPTS it gives up with 503 contention and counts nothing.
 */
@Injectable()
export class OptimisticStrategy extends StrictStrategy {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly counters: UsageCountersRepository,
    private readonly ledger: UsageEventsRepository,
    private readonly alerts: UsageAlerts,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {
    super();
  }

  protected async countTogether(events: UsageEvent[]): Promise<CountResult[]> {
    for (let attempt = 1; attempt <= this.config.optimisticMaxAttempts; attempt++) {
      const results = await this.attempt(events);
      if (results !== LOST_RACE) return results;
      // "Full jitter": a random delay up to an exponentially growing cap.
      await sleep(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
    }
    throw contention(events[0].featureKey);
  }

  /** One read-decide-write on one connection. */
  private attempt(events: UsageEvent[]): Promise<CountResult[] | typeof LOST_RACE> {
    const counter = events[0];
    const keys = events.flatMap((e) => (e.idempotencyKey === null ? [] : [e.idempotencyKey]));
    return inTransaction<CountResult[] | typeof LOST_RACE>(this.db, async (manager) => {
      const state = await this.counters.read(manager, counter);
      const judged = judgeInTurn(state, events, await this.ledger.takenKeys(manager, counter.subscriptionId, keys));
      // Nothing to write: every event was refused or a repeat, and a refusal stays right (a count
      // only grows, a period only closes, an end is never lifted).
      if (!state || judged.used === state.used) return judged.results;
      // A writer that committed since our read moved the version, so this matches no row.
      if (!(await this.counters.setUsedIfVersion(manager, counter, state.version, judged.used))) throw new Rollback(LOST_RACE);
      if ((await this.ledger.insert(manager, counter, judged.entries)) < judged.entries.length) throw new Rollback(LOST_RACE);
      await this.alerts.counted(manager, counter, state.limit, judged.entries);
      return judged.results;
    });
  }
}
