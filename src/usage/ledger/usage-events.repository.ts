import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Readable } from 'node:stream';
import { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import { DataSource, EntityManager } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { KeysetCursor, keysetTimestamp } from '../../common/paging/keyset-cursor';
import { CounterRef } from '../counters/counter-key';
import { UsageEventResponse } from '../dto/usage.responses';

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

/** An event as the log reads it: the item of the list, its quantity still the ledger's bigint text. */
export type LoggedEvent = Omit<UsageEventResponse, 'quantity'> & { quantity: string };

/** Newest first: (occurred_at, id), both descending; id orders events that occurred at one instant. */
export const USAGE_EVENT_CURSOR = new KeysetCursor('usage-events', { occurredAt: 'timestamp', id: 'bigint' });

export interface LoggedEventFilter {
  subscriptionId: string;
  featureKey?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** Timestamps as the API writes them (toISOString's form), formatted by PostgreSQL: a million rows need no Date each. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// The feature key comes from a subquery on its primary key rather than a join: a join may be
// planned as a hash join, whose output PostgreSQL does not count as ordered, and then a million
// events are sorted before the first line of an export leaves.
const LOGGED_EVENT_COLUMNS = `e.id, e.subscription_id AS "subscriptionId",
       (SELECT f.key FROM features f WHERE f.id = e.feature_id) AS feature,
       e.quantity, e.idempotency_key AS "idempotencyKey", ${iso('e.occurred_at')} AS "occurredAt",
       ${iso('e.recorded_at')} AS "recordedAt", ${iso('e.period_start')} AS "periodStart"`;

/** The WHERE of the log's filters; usage_events_occurred_idx serves it in the order the log reads. */
function loggedEventsWhere(filter: LoggedEventFilter, param: (value: unknown) => string): string[] {
  const where = [`e.subscription_id = ${param(filter.subscriptionId)}`];
  if (filter.featureKey !== undefined) where.push(`e.feature_id = (SELECT id FROM features WHERE key = ${param(filter.featureKey)})`);
  if (filter.from !== undefined) where.push(`e.occurred_at >= ${param(filter.from)}`);
  if (filter.to !== undefined) where.push(`e.occurred_at < ${param(filter.to)}`);
  return where;
}

/** The ledger (usage_events) as the strict strategies and the answers write it, and the event log reads it. */
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

  /** A page of the log, newest first, each event with the microsecond text of its occurred_at for the cursor. */
  async list(
    filter: LoggedEventFilter & { after?: Record<'occurredAt' | 'id', string>; limit: number },
  ): Promise<(LoggedEvent & { occurredAtKey: string })[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = loggedEventsWhere(filter, param);
    if (filter.after) {
      where.push(`(e.occurred_at, e.id) < (${param(filter.after.occurredAt)}::timestamptz, ${param(filter.after.id)}::bigint)`);
    }
    return this.db.query(
      `SELECT ${LOGGED_EVENT_COLUMNS}, ${keysetTimestamp('e.occurred_at')} AS "occurredAtKey"
         FROM usage_events e
        WHERE ${where.join(' AND ')}
        ORDER BY e.occurred_at DESC, e.id DESC
        LIMIT ${param(filter.limit)}`,
      params,
    );
  }

  /**
   * Every event of the filter, newest first, as a stream read through a server-side cursor
   * (pg-query-stream) a batch at a time, as fast as the stream is consumed: one snapshot, one
   * connection, flat memory however many events. The connection is the stream's until it ends,
   * fails or is destroyed (a client that went away); then it goes back to the pool, or, unless
   * the stream ended cleanly, is closed, since a cursor cut short may leave it mid-protocol.
   */
  async stream(filter: LoggedEventFilter): Promise<Readable & AsyncIterable<LoggedEvent>> {
    const params: unknown[] = [];
    const where = loggedEventsWhere(filter, (value) => `$${params.push(value)}`);
    const [client, release] = (await (this.db.driver as PostgresDriver).obtainMasterConnection()) as [PoolClient, (error?: Error) => void];
    const rows = client.query(
      new QueryStream(
        `SELECT ${LOGGED_EVENT_COLUMNS}
           FROM usage_events e
          WHERE ${where.join(' AND ')}
          ORDER BY e.occurred_at DESC, e.id DESC`,
        params,
        { batchSize: STREAM_BATCH_ROWS },
      ),
    );
    let ended = false;
    rows.once('end', () => (ended = true));
    rows.once('close', () => release(ended ? undefined : (rows.errored ?? new Error('event stream closed before its end'))));
    return rows;
  }
}

/** Rows fetched per round trip of an export: about 300 kB in flight, few enough round trips. */
const STREAM_BATCH_ROWS = 1000;
