import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { UsageEvent } from './usage-event';

export interface CounterRow {
  used: string;
  limit: string | null;
  version: number;
  closed_at: Date | null;
  /** The subscription was cancelled with an end at or before the event's occurredAt. */
  ended: boolean;
}

export interface RecordedEvent {
  featureKey: string;
  usedAfter: string;
  limit: string | null;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * The version of plan `planId` in force for a period that begins at `periodStart` (both SQL
 * parameters): the last one effective by then, or the first one for periods older than the plan.
 */
const planVersionAt = (planId: string, periodStart: string) =>
  `(SELECT coalesce(max(version) FILTER (WHERE effective_from <= ${periodStart}), min(version))
      FROM plan_versions WHERE plan_id = ${planId})`;

/** The SQL of the usage counters and the event ledger, shared by every strategy. */
@Injectable()
export class UsageRepository {
  /** Counters known to exist; rows are never deleted, so a hit never goes stale. */
  private readonly knownCounters = new Set<string>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Makes sure the counter row of the event's period exists, copying the limit of the plan version
   * in force when the period began. Concurrent first uses race on the primary key and ON CONFLICT
   * lets exactly one insert win. Returns false when that plan version has no charge for the feature.
   */
  async ensureCounter(event: UsageEvent): Promise<boolean> {
    const key = `${event.subscriptionId}/${event.featureId}/${event.periodStart.getTime()}`;
    if (this.knownCounters.has(key)) return true;
    const [{ charged }] = await this.db.query(
      `WITH charge AS (
         SELECT c."limit" FROM plan_charges c
          WHERE c.plan_id = $5 AND c.feature_id = $2 AND c.version = ${planVersionAt('$5', '$3')}
       ), created AS (
         INSERT INTO usage_counters (subscription_id, feature_id, period_start, period_end, "limit")
         SELECT $1, $2, $3, $4, "limit" FROM charge
         ON CONFLICT DO NOTHING
       )
       SELECT count(*)::int AS charged FROM charge`,
      [event.subscriptionId, event.featureId, event.periodStart, event.periodEnd, event.planId],
    );
    if (charged === 0) return false;
    if (this.knownCounters.size > 200_000) this.knownCounters.clear();
    this.knownCounters.add(key);
    return true;
  }

  /**
   * The event's counter, and whether its subscription had ended by the event's occurredAt.
   * Inside a counting transaction the subscription row is share-locked, so a concurrent
   * cancellation waits for the count to commit, or the count sees the end; `lock` also takes
   * the counter row lock (the pessimistic strategy).
   */
  async findCounter(
    event: UsageEvent,
    manager: EntityManager = this.db.manager,
    { lock = false, holdSubscription = false } = {},
  ): Promise<CounterRow | undefined> {
    const locks = [lock ? 'FOR UPDATE OF c' : '', holdSubscription || lock ? 'FOR SHARE OF s' : ''].join(' ');
    const [row] = await manager.query(
      `SELECT c.used, c."limit", c.version, c.closed_at,
              (s.ends_at IS NOT NULL AND s.ends_at <= $4) AS ended
         FROM usage_counters c JOIN subscriptions s ON s.id = c.subscription_id
        WHERE c.subscription_id = $1 AND c.feature_id = $2 AND c.period_start = $3
        ${locks}`,
      [event.subscriptionId, event.featureId, event.periodStart, event.occurredAt],
    );
    return row;
  }

  /**
   * Writes the event to the ledger. The partial unique index on (subscription, idempotency key)
   * makes a concurrent repeat wait for this transaction and then find the key taken: false means
   * "a duplicate", and the caller rolls its counter change back.
   */
  async insertEvent(manager: EntityManager, event: UsageEvent, usedAfter: string): Promise<boolean> {
    const rows = await manager.query(
      `INSERT INTO usage_events
         (subscription_id, feature_id, period_start, quantity, idempotency_key, occurred_at, used_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [
        event.subscriptionId,
        event.featureId,
        event.periodStart,
        event.quantity,
        event.idempotencyKey,
        event.occurredAt,
        usedAfter,
      ],
    );
    return rows.length === 1;
  }

  /** The event a subscription accepted under an idempotency key, with the figures it was answered with. */
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

  /** Each charge of the plan version in force for the period, with what was counted in it. */
  async usageOfPeriod(
    subscriptionId: string,
    planId: string,
    periodStart: Date,
  ): Promise<{ feature: string; feature_id: string; used: string; limit: string | null }[]> {
    return this.db.query(
      `SELECT f.key AS feature, f.id AS feature_id, coalesce(u.used, 0)::text AS used, coalesce(u."limit", c."limit") AS "limit"
         FROM plan_charges c
         JOIN features f ON f.id = c.feature_id
         LEFT JOIN usage_counters u
           ON u.subscription_id = $1 AND u.feature_id = c.feature_id AND u.period_start = $3
        WHERE c.plan_id = $2 AND c.version = ${planVersionAt('$2', '$3')}
        ORDER BY c.position`,
      [subscriptionId, planId, periodStart],
    );
  }
}
