import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** One feature's usage on one UTC day of a period. */
export interface DailyQuantity {
  featureId: string;
  featureKey: string;
  /** YYYY-MM-DD, the UTC day of the events' occurred_at. */
  day: string;
  /** sum(quantity), a bigint as a decimal string. */
  quantity: string;
}

/**
 * $1, $2: the periods (subscription ids and period starts, in pairs); $3: the watermark. Sealed
 * days from usage_daily, plus the events recorded since from the ledger (the BRIN range scan on
 * recorded_at, materialized so that it is the only way the ledger is read). Exported for
 * EXPLAIN ANALYZE in scripts/bench-portal.ts.
 */
export const DAILY_USAGE_SQL = `WITH wanted AS (
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS w(subscription_id, period_start, unit)
   ), recent AS MATERIALIZED (
     SELECT subscription_id, period_start, feature_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, quantity
       FROM usage_events WHERE recorded_at >= $3
   )
   SELECT x.unit::int AS unit, x.feature_id, f.key AS feature_key, x.day::text AS day, sum(x.quantity)::text AS quantity
     FROM (SELECT w.unit, d.feature_id, d.day, d.quantity
             FROM wanted w
             JOIN usage_daily d ON d.subscription_id = w.subscription_id AND d.period_start = w.period_start
           UNION ALL
           SELECT w.unit, r.feature_id, r.day, r.quantity
             FROM wanted w
             JOIN recent r ON r.subscription_id = w.subscription_id AND r.period_start = w.period_start) x
     JOIN features f ON f.id = x.feature_id
    GROUP BY x.unit, x.feature_id, f.key, x.day
    ORDER BY x.unit, f.key, x.day`;

/** The period of one subscription whose days are asked for. */
export interface PeriodKey {
  subscriptionId: string;
  periodStart: Date;
}

/**
 * The ledger summed per UTC day (usage_daily), for the portal page. What is sealed (recorded before
 * the watermark) is read from usage_daily, what was recorded since from the ledger itself; sealing
 * moves events from one side to the other in one transaction, so a read sees each event once.
 */
@Injectable()
export class DailyUsageRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The daily quantities of each period, in the order asked. */
  async ofPeriods(periods: readonly PeriodKey[]): Promise<DailyQuantity[][]> {
    if (periods.length === 0) return [];
    // The watermark and both sides are read from one snapshot: a seal committing in between would
    // otherwise be counted twice. Two statements, so that the planner knows the watermark (a recent
    // time: the BRIN range scan) rather than guessing at a parameter.
    const rows: { unit: number; feature_id: string; feature_key: string; day: string; quantity: string }[] =
      await this.db.transaction('REPEATABLE READ', async (manager) => {
        const [{ sealed_through }] = await manager.query(`SELECT sealed_through::text FROM usage_daily_watermark`);
        return manager.query(DAILY_USAGE_SQL, [
          periods.map((p) => p.subscriptionId),
          periods.map((p) => p.periodStart.toISOString()),
          sealed_through,
        ]);
      });
    const out: DailyQuantity[][] = periods.map(() => []);
    for (const r of rows) out[r.unit - 1].push({ featureId: r.feature_id, featureKey: r.feature_key, day: r.day, quantity: r.quantity });
    return out;
  }

  /**
   * Locks the watermark for a seal, or answers undefined when another seal holds it (that one does
   * the work). `safe`: the latest time before which every ledger row that will ever exist is
   * committed. recorded_at is its transaction's start (now()), so a row not yet committed belongs to
   * a transaction still open: no earlier than the oldest open transaction of this database. The
   * guard covers the moment between a transaction taking its start time and publishing it.
   * Milliseconds throughout: the watermark goes through a JavaScript Date.
   */
  async lockWatermark(manager: EntityManager): Promise<{ sealedThrough: Date; safe: Date } | undefined> {
    const [row] = await manager.query(
      `SELECT sealed_through,
              date_trunc('milliseconds',
                least(now(), (SELECT min(xact_start) FROM pg_stat_activity
                               WHERE datname = current_database() AND pid <> pg_backend_pid())) - interval '10 seconds') AS safe
         FROM usage_daily_watermark
          FOR UPDATE SKIP LOCKED`,
    );
    return row && { sealedThrough: row.sealed_through, safe: row.safe };
  }

  /** Adds the events recorded in [from, to) to the daily sums and moves the watermark to `to`. */
  async seal(manager: EntityManager, from: Date, to: Date): Promise<void> {
    await manager.query(
      `INSERT INTO usage_daily (subscription_id, period_start, feature_id, day, quantity)
       SELECT subscription_id, period_start, feature_id, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity)
         FROM usage_events
        WHERE recorded_at >= $1 AND recorded_at < $2
        GROUP BY 1, 2, 3, 4
       ON CONFLICT (subscription_id, period_start, feature_id, day)
       DO UPDATE SET quantity = usage_daily.quantity + excluded.quantity`,
      [from, to],
    );
    await manager.query(`UPDATE usage_daily_watermark SET sealed_through = $1`, [to]);
  }
}
