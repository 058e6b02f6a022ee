import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Rollback, inTransaction } from '../../common/transaction';
import { CountResult, UsageEvent, UsageStrategy } from '../usage-event';
import { UsageRepository } from '../usage.repository';

/**
 * SELECT … FOR UPDATE, check, UPDATE, commit. The row lock is held from the read to the commit,
 * so no other transaction can count against the same figure in between; concurrent requests for
 * one counter queue on the lock, one at a time.
 */
@Injectable()
export class PessimisticStrategy implements UsageStrategy {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly usage: UsageRepository,
  ) {}

  count(event: UsageEvent): Promise<CountResult> {
    return inTransaction(this.db, async (manager) => {
      const counter = await this.usage.findCounter(event, manager, { lock: true });
      if (!counter || counter.closed_at || counter.ended) return { kind: 'refused' } as const;
      const used = BigInt(counter.used) + BigInt(event.quantity);
      if (counter.limit !== null && used > BigInt(counter.limit)) return { kind: 'refused' } as const;
      await manager.query(
        `UPDATE usage_counters SET used = $4
          WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3`,
        [event.subscriptionId, event.featureId, event.periodStart, used.toString()],
      );
      if (!(await this.usage.insertEvent(manager, event, used.toString()))) throw new Rollback({ kind: 'duplicate' });
      return { kind: 'accepted', used: used.toString(), limit: counter.limit } as const;
    });
  }
}
