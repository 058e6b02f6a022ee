import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Strategy } from '../../catalog/features/feature.entity';
import { CounterRef, counterKey } from './counter-key';
import { CounterRow, CounterState, counterState } from './counter-state';
import { RefusalReason } from './decide';
import { Alert } from '../../catalog/plans/alerts';

/** A counter row's period. */
export interface CounterTerms extends CounterRef {
  periodEnd: Date;
}

/** One event for tally_count_atomic(). */
export interface AtomicEvent {
  quantity: string;
  idempotencyKey: string | null;
  occurredAt: Date;
}

export type AtomicOutcome =
  | { status: 'accepted'; used: string; limit: string | null }
  | { status: 'duplicate' }
  | { status: RefusalReason; used: string | null; limit: string | null };

/** A period to close: its counters are the charges of the plan version that governs it. */
export interface ClosingPeriod {
  subscriptionId: string;
  planId: string;
  periodStart: Date;
  periodEnd: Date;
}

/** One charge of a period's plan version and its counter (zeros when no row exists yet). */
export interface PeriodCounterRow {
  feature: string;
  feature_id: string;
  strategy: Strategy;
  used: string;
  /** Of the buffered strategy's leases: accepted, in the ledger, not yet flushed into `used`. */
  spent: string;
  held: string;
  limit: string | null;
}

/** A counter's figures in one snapshot: accepted (flushed or not), held, and its terms. */
export interface CounterFigures {
  used: bigint;
  held: bigint;
  limit: bigint | null;
  closedAt: Date | null;
  endsAt: Date | null;
}

/**
 * What all instances' buffered leases have spent on the counter `u` (accepted, in the ledger, not
 * flushed): with u.used, the period's accepted total as one snapshot. A flush moves quantity from
 * spent to used under the counter's row lock, so the sum never counts it twice or misses it.
 */
const SPENT_OF_U = `(SELECT coalesce(sum(l.spent), 0) FROM usage_leases l
   WHERE l.subscription_id = u.subscription_id AND l.feature_id = u.feature_id AND l.period_start = u.period_start)`;

/** CounterFigures of the row `u`, as text (bigint) columns. */
export const FIGURES = `(u.used + ${SPENT_OF_U})::text AS used, u.held::text AS held, u."limit"::text AS "limit", u.closed_at, u.ends_at`;

export const counterFigures = (row: { used: string; held: string; limit: string | null; closed_at: Date | null; ends_at: Date | null }): CounterFigures => ({
  used: BigInt(row.used),
  held: BigInt(row.held),
  limit: row.limit === null ? null : BigInt(row.limit),
  closedAt: row.closed_at,
  endsAt: row.ends_at,
});

const COUNTER_COLUMNS = `used, held, "limit", closed_at, ends_at, version`;
const BY_KEY = `subscription_id = $1 AND feature_id = $2 AND period_start = $3`;
const keyParams = (c: CounterRef) => [c.subscriptionId, c.featureId, c.periodStart];

/**
 * Every statement on usage_counters outside the buffered strategy's leases. Each takes the
 * caller's manager where it belongs to a unit of work; none opens a transaction.
 */
@Injectable()
export class UsageCountersRepository {
  /**
   * Counters known to exist, with their alerts (null: none); rows are never deleted and their
   * alerts never change, so a hit never goes stale.
   */
  private readonly known = new Map<string, readonly Alert[] | null>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Makes sure the counter row of the period exists (tally_ensure_counter, migrations/1764500000000-PlanPhases.ts,
   * with alerts since 1764800000000-UsageAlerts.ts).
   * The plan that governs it comes from the subscription's phases, its version from
   * period_plan_version() (the rollup asks the same function), its limit and alerts from that
   * version's charge, and its end from the phase's end or the subscription's, read after
   * share-locking the subscription: a cancellation or plan change committing meanwhile is either
   * seen there or finds this row to write its end onto. Concurrent first uses race on the primary
   * key and ON CONFLICT lets exactly one insert win. false: the governing plan version has no
   * charge for the feature.
   */
  async ensure(counter: CounterTerms): Promise<boolean> {
    const key = counterKey(counter);
    if (this.known.has(key)) return true;
    const [{ charged }] = await this.db.query(`SELECT tally_ensure_counter($1, $2, $3, $4) AS charged`, [
      counter.subscriptionId,
      counter.featureId,
      counter.periodStart,
      counter.periodEnd,
    ]);
    if (charged === 0) return false;
    const [row] = await this.db.query(`SELECT alerts FROM usage_counters WHERE ${BY_KEY}`, keyParams(counter));
    if (this.known.size > 200_000) this.known.clear();
    this.known.set(key, row?.alerts ?? null);
    return true;
  }

  /** The counter's alerts, once ensure() has seen it in this process; null: none. */
  alertsOf(counter: CounterRef): readonly Alert[] | null {
    return this.known.get(counterKey(counter)) ?? null;
  }

  /**
   * The atomic strategy: each event's conditional UPDATE and ledger row, in order, in one statement
   * (tally_count_atomic, migrations/1764400000000-CounterTerms.ts). One outcome per event.
   */
  async countAtomic(counter: CounterRef, events: readonly AtomicEvent[], announcing: boolean): Promise<AtomicOutcome[]> {
    // With alerts, the same count and then its crossings announced, in one statement.
    const fn = announcing ? 'tally_count_atomic_announcing' : 'tally_count_atomic';
    return this.db.query(
      `SELECT status, used::text, "limit"::text FROM ${fn}($1, $2, $3, $4::bigint[], $5::text[], $6::timestamptz[])`,
      [
        ...keyParams(counter),
        events.map((e) => e.quantity),
        events.map((e) => e.idempotencyKey),
        events.map((e) => e.occurredAt),
      ],
    );
  }

  /** The counter's figures now, in one snapshot, without a lock (entitlement checks); undefined when missing. */
  async figures(counter: CounterRef): Promise<CounterFigures | undefined> {
    const [row] = await this.db.query(`SELECT ${FIGURES} FROM usage_counters u WHERE ${BY_KEY}`, keyParams(counter));
    return row && counterFigures(row);
  }

  /** The row, locked until the transaction ends (the pessimistic strategy); undefined when missing. */
  async lock(manager: EntityManager, counter: CounterRef): Promise<CounterState | undefined> {
    const [row] = await manager.query(`SELECT ${COUNTER_COLUMNS} FROM usage_counters WHERE ${BY_KEY} FOR UPDATE`, keyParams(counter));
    return row && counterState(row as CounterRow);
  }

  /** The row as committed now, with its version (the optimistic strategy reads without a lock). */
  async read(manager: EntityManager, counter: CounterRef): Promise<CounterState | undefined> {
    const [row] = await manager.query(`SELECT ${COUNTER_COLUMNS} FROM usage_counters WHERE ${BY_KEY}`, keyParams(counter));
    return row && counterState(row as CounterRow);
  }

  /** Writes the count decided under the row lock. */
  async setUsed(manager: EntityManager, counter: CounterRef, used: bigint): Promise<void> {
    await manager.query(`UPDATE usage_counters SET used = $4 WHERE ${BY_KEY}`, [...keyParams(counter), used.toString()]);
  }

  /**
   * Writes the count decided from a read at `version`; false when another writer moved the row
   * since (its version, or its close), and nothing was written.
   */
  async setUsedIfVersion(manager: EntityManager, counter: CounterRef, version: number, used: bigint): Promise<boolean> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [, affected] = await manager.query(
      `UPDATE usage_counters SET used = $5, version = version + 1
        WHERE ${BY_KEY} AND version = $4 AND closed_at IS NULL`,
      [...keyParams(counter), version, used.toString()],
    );
    return affected === 1;
  }

  /**
   * Takes the row locks of every open counter of the subscription, in key order (as every
   * statement that locks several counters does): a count in flight on one of them commits first,
   * a count after waits for the caller's transaction. Buffered ledger batches share-lock the same
   * rows, so once this returns the ledger holds every event counted on them.
   */
  async lockOpen(manager: EntityManager, subscriptionId: string): Promise<void> {
    await manager.query(
      `SELECT 1 FROM usage_counters WHERE subscription_id = $1 AND closed_at IS NULL
        ORDER BY feature_id, period_start FOR UPDATE`,
      [subscriptionId],
    );
  }

  /**
   * A cancellation, or a plan change "now": ends the open counters at `endsAt`, under their row
   * locks (lockOpen first). An end already earlier stays: a cancellation after a change must not
   * reopen the part of a period the change ended. Rows of the period that `endsAt` cuts also get
   * it as their period_end, the end their usage answers show, when `cut` is set.
   */
  async endOpen(manager: EntityManager, subscriptionId: string, endsAt: Date, cut = false): Promise<void> {
    await this.lockOpen(manager, subscriptionId);
    await manager.query(
      `UPDATE usage_counters
          SET ends_at = least(ends_at, $2),
              -- The optimistic strategy decides on a read and writes only if the version is still
              -- the one it read: a new end must move it, or a count decided before could land after.
              version = version + 1,
              period_end = CASE WHEN $3 THEN least(period_end, $2) ELSE period_end END
        WHERE subscription_id = $1 AND closed_at IS NULL`,
      [subscriptionId, endsAt, cut],
    );
  }

  /**
   * When the latest usage counted in the periods from `from` on occurred (null: none). A plan change
   * "now" reads it under lockOpen: usage dated ahead of the clock (within the skew a count allows)
   * that is already counted under the old plan moves the change moment past it.
   */
  async latestOccurred(manager: EntityManager, subscriptionId: string, from: Date): Promise<Date | null> {
    const [row] = await manager.query(
      `SELECT max(occurred_at) AS latest FROM usage_events WHERE subscription_id = $1 AND period_start >= $2`,
      [subscriptionId, from],
    );
    return row.latest;
  }

  /** Whether a counter row exists for a period starting at or after `from` (it carries the plan it was made under). */
  async anyFrom(manager: EntityManager, subscriptionId: string, from: Date): Promise<boolean> {
    const rows = await manager.query(`SELECT 1 FROM usage_counters WHERE subscription_id = $1 AND period_start >= $2 LIMIT 1`, [
      subscriptionId,
      from,
    ]);
    return rows.length > 0;
  }

  /** The plan version that governs each period: period_plan_version(), as for the counters. */
  async planVersions(periods: readonly ClosingPeriod[]): Promise<number[]> {
    const rows: { version: number }[] = await this.db.query(
      `SELECT period_plan_version(p.subscription_id, p.plan_id, p.period_start) AS version
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) WITH ORDINALITY AS p(subscription_id, plan_id, period_start, i)
        ORDER BY p.i`,
      [periods.map((p) => p.subscriptionId), periods.map((p) => p.planId), periods.map((p) => p.periodStart)],
    );
    return rows.map((r) => r.version);
  }

  /**
   * Step 1 of a period close: marks the counter of every charge of each period closed, creating
   * the rows that no usage created. The upsert takes each row's lock, so it waits for usage
   * transactions still counting on those rows; once it returns, every later count finds
   * closed_at set. Rows are locked in one fixed order so that two closers never deadlock.
   */
  async closePeriods(manager: EntityManager, periods: readonly (ClosingPeriod & { planVersion: number })[]): Promise<void> {
    await manager.query(
      `INSERT INTO usage_counters (subscription_id, feature_id, period_start, period_end, "limit", plan_version, ends_at, closed_at)
       SELECT p.subscription_id, c.feature_id, p.period_start, p.period_end, c."limit", p.version, s.ends_at, now()
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::uuid[], $5::int[])
              AS p(subscription_id, period_start, period_end, plan_id, version)
         JOIN plan_charges c ON c.plan_id = p.plan_id AND c.version = p.version
         JOIN subscriptions s ON s.id = p.subscription_id
        ORDER BY p.subscription_id, c.feature_id, p.period_start
       ON CONFLICT (subscription_id, feature_id, period_start) DO UPDATE SET closed_at = now()`,
      [
        periods.map((p) => p.subscriptionId),
        periods.map((p) => p.periodStart),
        periods.map((p) => p.periodEnd),
        periods.map((p) => p.planId),
        periods.map((p) => p.planVersion),
      ],
    );
  }

  /** Each charge of the plan version governing the period, with what was counted and is held in it. */
  async usageOfPeriod(subscriptionId: string, planId: string, periodStart: Date): Promise<PeriodCounterRow[]> {
    return this.db.query(
      `SELECT f.key AS feature, f.id AS feature_id, f.strategy, coalesce(u.used, 0)::text AS used,
              coalesce(${SPENT_OF_U}, 0)::text AS spent, coalesce(u.held, 0)::text AS held,
              coalesce(u."limit", c."limit") AS "limit"
         FROM plan_charges c
         JOIN features f ON f.id = c.feature_id
         LEFT JOIN usage_counters u
           ON u.subscription_id = $1 AND u.feature_id = c.feature_id AND u.period_start = $3
        WHERE c.plan_id = $2 AND c.version = period_plan_version($1, $2, $3)
        ORDER BY c.position`,
      [subscriptionId, planId, periodStart],
    );
  }
}
