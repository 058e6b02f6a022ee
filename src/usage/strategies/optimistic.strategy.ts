import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { ErrorCode, TallyError } from '../../common/errors/tally.error';
import { Rollback, inTransaction } from '../../common/transaction';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { CountResult, UsageEvent, UsageStrategy } from '../usage-event';
import { UsageRepository } from '../usage.repository';

const BASE_DELAY_MS = 1;
const MAX_DELAY_MS = 50;

/**
 * Read the counter with its version, check, then `UPDATE … WHERE version = :v`. No lock is held
 * between read and write; a writer that lost the race matches no row and tries again from a
 * fresh read, after a jittered exponential backoff so that the losers do not collide again in step.
 * After OPTIMISTIC_MAX_ATTEMPTS it gives up with 503 contention and counts nothing: with the
 * delay capped at 50 ms, a request sleeps at most about attempts × 50 ms (3 s at the default 60).
 */
@Injectable()
export class OptimisticStrategy implements UsageStrategy {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly usage: UsageRepository,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {}

  async count(event: UsageEvent): Promise<CountResult> {
    for (let attempt = 1; attempt <= this.config.optimisticMaxAttempts; attempt++) {
      const result = await this.attempt(event);
      if (result !== 'conflict') return result;
      // "Full jitter": a random delay up to an exponentially growing cap.
      await sleep(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
    }
    throw new TallyError(
      ErrorCode.Contention,
      `counter for '${event.featureKey}' is contended; nothing was counted, retry later`,
      {},
      { 'retry-after': '1' },
    );
  }

  /** One read-check-write on one connection; 'conflict' when another writer got there first. */
  private attempt(event: UsageEvent): Promise<CountResult | 'conflict'> {
    return inTransaction(this.db, async (manager) => {
      const counter = await this.usage.findCounter(event, manager, { holdSubscription: true });
      if (!counter || counter.closed_at || counter.ended) return { kind: 'refused' } as const;
      const used = BigInt(counter.used) + BigInt(event.quantity);
      if (counter.limit !== null && used > BigInt(counter.limit)) return { kind: 'refused' } as const;
      // TypeORM's save() does not check @VersionColumn on update; the WHERE clause here does.
      // A writer that committed since our read moved the version, so this matches no row.
      const [, affected] = await manager.query(
        `UPDATE usage_counters SET used = $5, version = version + 1
          WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3
            AND version = $4 AND closed_at IS NULL`,
        [event.subscriptionId, event.featureId, event.periodStart, counter.version, used.toString()],
      );
      if (affected === 0) return 'conflict' as const;
      if (!(await this.usage.insertEvent(manager, event, used.toString()))) throw new Rollback({ kind: 'duplicate' });
      return { kind: 'accepted', used: used.toString(), limit: counter.limit } as const;
    });
  }
}
