import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Rollback, inTransaction } from '../../common/transaction';
import { counterKey } from '../counters/counter-key';
import { UsageCountersRepository } from '../counters/usage-counters.repository';
import { UsageEventsRepository } from '../ledger/usage-events.repository';
import { UsageEvent } from '../usage-event';
import { judgeInTurn } from './judge-in-turn';
import { StrictStrategy } from './strict-strategy';
import { CountResult } from './usage-strategy';
import { UsageAlerts } from '../alerts/usage-alerts';

/** A key another transaction took between our look at the ledger and our INSERT: decide again. */
const KEY_TAKEN = Symbol('key taken');
const MAX_ATTEMPTS = 5;

/**
 * SELECT … FOR UPDATE, decide, UPDATE, commit. The row lock is held from the read to the commit,
 * so no other transaction counts against the same figure in between; transactions on one counter
 * queue on the lock. The events that queued for a counter in this instance while its last
 * transaction ran share the next one: one lock, one UPDATE and one ledger INSERT for all of them.
 */
@Injectable()
export class PessimisticStrategy extends StrictStrategy {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly counters: UsageCountersRepository,
    private readonly ledger: UsageEventsRepository,
    private readonly alerts: UsageAlerts,
  ) {
    super();
  }

  protected async countTogether(events: UsageEvent[]): Promise<CountResult[]> {
    const counter = events[0];
    const keys = events.flatMap((e) => (e.idempotencyKey === null ? [] : [e.idempotencyKey]));
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const results = await inTransaction<CountResult[] | typeof KEY_TAKEN>(this.db, async (manager) => {
        const state = await this.counters.lock(manager, counter);
        const judged = judgeInTurn(state, events, await this.ledger.takenKeys(manager, counter.subscriptionId, keys));
        if (state && judged.used !== state.used) await this.counters.setUsed(manager, counter, judged.used);
        if ((await this.ledger.insert(manager, counter, judged.entries)) < judged.entries.length) throw new Rollback(KEY_TAKEN);
        if (state) await this.alerts.counted(manager, counter, state.limit, judged.entries);
        return judged.results;
      });
      if (results !== KEY_TAKEN) return results;
    }
    throw new Error(`idempotency keys kept being taken under counter ${counterKey(counter)}`);
  }
}
