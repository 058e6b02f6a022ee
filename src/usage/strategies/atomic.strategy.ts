import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Rollback, inTransaction } from '../../common/transaction';
import { CountResult, UsageEvent, UsageStrategy } from '../usage-event';
import { UsageRepository } from '../usage.repository';

/**
 * One conditional UPDATE: the limit check is part of the statement that moves the count, so two
 * requests can never both see room for the last unit. PostgreSQL's row lock orders concurrent
 * UPDATEs, and each re-evaluates the WHERE clause against the row the previous one committed.
 */
@Injectable()
export class AtomicStrategy implements UsageStrategy {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly usage: UsageRepository,
  ) {}

  count(event: UsageEvent): Promise<CountResult> {
    return inTransaction(this.db, async (manager) => {
      // An UPDATE answers [rows, rowCount] through TypeORM.
      const [[counted]] = await manager.query(
        `UPDATE usage_counters SET used = used + $4
          WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3
            AND closed_at IS NULL
            AND ("limit" IS NULL OR used + $4 <= "limit")
            -- Share-locks the subscription: a concurrent cancellation waits, or is seen here.
            AND EXISTS (SELECT 1 FROM subscriptions s
                         WHERE s.id = $1 AND (s.ends_at IS NULL OR s.ends_at > $5) FOR SHARE)
          RETURNING used, "limit"`,
        [event.subscriptionId, event.featureId, event.periodStart, event.quantity, event.occurredAt],
      );
      if (!counted) return { kind: 'refused' } as const;
      if (!(await this.usage.insertEvent(manager, event, counted.used))) throw new Rollback({ kind: 'duplicate' });
      return { kind: 'accepted', used: counted.used, limit: counted.limit } as const;
    });
  }
}
