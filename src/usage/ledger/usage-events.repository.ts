import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CounterRef } from '../counters/counter-key';

/** One accepted event on its way into the ledger, with the count it left. */
export interface LedgerEntry {
  quantity: string;
  idempotencyKey: string | null;
  occurredAt: Date;
  usedAfter: string;
}

/** The event a subscription accepted under an idempotency key, with the figures it was answered with. */
export interface RecordedEvent {
  featureKey: string;
  usedAfter: string;
  limit: string | null;
  periodStart: Date;
  periodEnd: Date;
}

/** The ledger (usage_events) as the strict strategies and the answers read and write it. */
@Injectable()
export class UsageEventsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The events of one counter in one multi-row INSERT. The partial unique index on (subscription,
   * idempotency key) makes a concurrent repeat wait for the transaction holding its key and then
   * skip it: the answer is how many rows were written, and fewer than given means a key was
   * taken meanwhile (the caller rolls back and decides again).
   */
  async insert(manager: EntityManager, counter: CounterRef, entries: readonly LedgerEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const rows: unknown[] = await manager.query(
      `INSERT INTO usage_events (subscription_id, feature_id, period_start, quantity, idempotency_key, occurred_at, used_after)
       SELECT $1, $2, $3, e.quantity, e.key, e.occurred_at, e.used_after
         FROM unnest($4::bigint[], $5::text[], $6::timestamptz[], $7::bigint[]) AS e(quantity, key, occurred_at, used_after)
       ON CONFLICT (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING 1`,
      [
        counter.subscriptionId,
        counter.featureId,
        counter.periodStart,
        entries.map((e) => e.quantity),
        entries.map((e) => e.idempotencyKey),
        entries.map((e) => e.occurredAt),
        entries.map((e) => e.usedAfter),
      ],
    );
    return rows.length;
  }

  /** Which of `keys` the subscription's ledger already holds (committed). */
  async takenKeys(manager: EntityManager, subscriptionId: string, keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows: { key: string }[] = await manager.query(
      `SELECT idempotency_key AS key FROM usage_events WHERE subscription_id = $1 AND idempotency_key = ANY($2::text[])`,
      [subscriptionId, keys],
    );
    return new Set(rows.map((r) => r.key));
  }

  async findByIdempotencyKey(subscriptionId: string, key: string): Promise<RecordedEvent | undefined> {
    const [row] = await this.db.query(
      `SELECT f.key AS feature_key, e.used_after, c."limit", c.period_start, c.period_end
         FROM usage_events e
         JOIN features f ON f.id = e.feature_id
         JOIN usage_counters c
           ON c.subscription_id = e.subscription_id AND c.feature_id = e.feature_id
          AND c.period_start = e.period_start
        WHERE e.subscription_id = $1 AND e.idempotency_key = $2`,
      [subscriptionId, key],
    );
    if (!row) return undefined;
    return {
      featureKey: row.feature_key,
      usedAfter: row.used_after,
      limit: row.limit,
      periodStart: row.period_start,
      periodEnd: row.period_end,
    };
  }
}
