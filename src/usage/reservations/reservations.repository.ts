import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Strategy } from '../../catalog/features/feature.entity';
import { CounterRef } from '../counters/counter-key';
import { CounterFigures, FIGURES, counterFigures } from '../counters/usage-counters.repository';

export type ReservationStatus = 'held' | 'committed' | 'released' | 'expired';

/** A reservation as stored, with its feature's key and its period's end. */
export interface Reservation extends CounterRef {
  id: string;
  featureKey: string;
  strategy: Strategy;
  limit: bigint | null;
  periodEnd: Date;
  quantity: bigint;
  status: ReservationStatus;
  createdAt: Date;
  expiresAt: Date;
  /** Set by a commit: what it counted and the count it left. */
  committedQuantity: bigint | null;
  usedAfter: bigint | null;
}

export interface NewReservation {
  quantity: bigint;
  idempotencyKey: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A counter's figures under its row lock, and what is free for a reservation. */
export interface LockedCounter extends CounterFigures {
  /** limit − used − reserved − held: neither counted, nor leased to a buffered instance, nor held. null: unlimited. */
  free: bigint | null;
  /** Quota leased to buffered instances and not flushed (part of it spent, the rest idle). */
  reserved: bigint;
}

const COLUMNS = `r.id, r.subscription_id, r.feature_id, r.period_start, f.key AS feature_key, f.strategy, c."limit"::text, c.period_end,
  r.quantity::text, r.status, r.created_at, r.expires_at, r.committed_quantity::text, r.used_after::text`;
const JOINS = `JOIN features f ON f.id = r.feature_id
  JOIN usage_counters c ON c.subscription_id = r.subscription_id AND c.feature_id = r.feature_id AND c.period_start = r.period_start`;
const BY_KEY = `subscription_id = $1 AND feature_id = $2 AND period_start = $3`;
const keyParams = (c: CounterRef) => [c.subscriptionId, c.featureId, c.periodStart];

const reservationOf = (row: any): Reservation => ({
  id: row.id,
  subscriptionId: row.subscription_id,
  featureId: row.feature_id,
  periodStart: row.period_start,
  featureKey: row.feature_key,
  strategy: row.strategy,
  limit: row.limit === null ? null : BigInt(row.limit),
  periodEnd: row.period_end,
  quantity: BigInt(row.quantity),
  status: row.status,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  committedQuantity: row.committed_quantity === null ? null : BigInt(row.committed_quantity),
  usedAfter: row.used_after === null ? null : BigInt(row.used_after),
});

/**
 * The SQL of reservations: their rows, and the counter's `held` that they move. Every change of
 * `held` happens under the counter's row lock, in the caller's transaction, together with the
 * reservation row's change; none opens a transaction.
 */
@Injectable()
export class ReservationsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The counter row, locked until the caller's transaction ends; undefined when missing. */
  async lockCounter(m: EntityManager, counter: CounterRef): Promise<LockedCounter | undefined> {
    const [row] = await m.query(
      `SELECT ${FIGURES}, u.reserved::text AS reserved, (u."limit" - u.used - u.reserved - u.held)::text AS free
         FROM usage_counters u WHERE ${BY_KEY} FOR UPDATE OF u`,
      keyParams(counter),
    );
    return row && { ...counterFigures(row), reserved: BigInt(row.reserved), free: row.free === null ? null : BigInt(row.free) };
  }

  /**
   * Adds a reservation's quantity to the counter's `held` (the caller decided it fits, under the
   * row lock) and writes the reservation. The version moves: an optimistic count decided on a
   * read from before must not land after it. undefined when the idempotency key is taken (by a
   * committed reservation, or one committing meanwhile: the unique index waits for it).
   */
  async hold(m: EntityManager, counter: CounterRef, r: NewReservation): Promise<string | undefined> {
    await m.query(`UPDATE usage_counters SET held = held + $4, version = version + 1 WHERE ${BY_KEY}`, [
      ...keyParams(counter),
      r.quantity.toString(),
    ]);
    const [row] = await m.query(
      `INSERT INTO reservations (subscription_id, feature_id, period_start, quantity, idempotency_key, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [...keyParams(counter), r.quantity.toString(), r.idempotencyKey, r.createdAt, r.expiresAt],
    );
    return row?.id;
  }

  async find(id: string): Promise<Reservation | undefined> {
    const [row] = await this.db.query(`SELECT ${COLUMNS} FROM reservations r ${JOINS} WHERE r.id = $1`, [id]);
    return row && reservationOf(row);
  }

  async findByKey(subscriptionId: string, idempotencyKey: string): Promise<Reservation | undefined> {
    const [row] = await this.db.query(
      `SELECT ${COLUMNS} FROM reservations r ${JOINS} WHERE r.subscription_id = $1 AND r.idempotency_key = $2`,
      [subscriptionId, idempotencyKey],
    );
    return row && reservationOf(row);
  }

  /** The reservation, locked until the caller's transaction ends: its status moves only under this lock. */
  async lock(m: EntityManager, id: string): Promise<Reservation | undefined> {
    const [row] = await m.query(`SELECT ${COLUMNS} FROM reservations r ${JOINS} WHERE r.id = $1 FOR UPDATE OF r`, [id]);
    return row && reservationOf(row);
  }

  /**
   * Ends a held reservation (locked by the caller, then its counter locked): its quantity leaves
   * `held` and `used` grows by what it commits, in one UPDATE, so used + held only shrinks; the
   * version moves as for any count. A commit also notes what it counted and the count it
   * reported, for the answer to a repeated commit.
   */
  async settle(
    m: EntityManager,
    r: Reservation,
    status: Exclude<ReservationStatus, 'held'>,
    commit?: { quantity: bigint; usedAfter: bigint },
  ): Promise<void> {
    await m.query(`UPDATE usage_counters SET held = held - $4, used = used + $5, version = version + 1 WHERE ${BY_KEY}`, [
      ...keyParams(r),
      r.quantity.toString(),
      (commit?.quantity ?? 0n).toString(),
    ]);
    await m.query(`UPDATE reservations SET status = $2, closed_at = now(), committed_quantity = $3, used_after = $4 WHERE id = $1`, [
      r.id,
      status,
      commit?.quantity.toString() ?? null,
      commit?.usedAfter.toString() ?? null,
    ]);
  }

  /**
   * Expires up to `max` held reservations past their expiresAt, in the caller's transaction:
   * claims them with FOR UPDATE SKIP LOCKED (other instances sweeping at the same time, or a
   * commit or release holding one, are skipped, not waited for), locks their counters in key
   * order as every transaction that locks several counters does, and gives their quantities back.
   * Returns how many expired and the quantity freed.
   */
  async expireDue(m: EntityManager, max: number): Promise<{ expired: number; quantity: bigint }> {
    const due: { id: string; subscription_id: string; feature_id: string; period_start: Date; quantity: string }[] =
      await m.query(
        `SELECT id, subscription_id, feature_id, period_start, quantity::text FROM reservations
          WHERE status = 'held' AND expires_at <= now()
          ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [max],
      );
    if (due.length === 0) return { expired: 0, quantity: 0n };
    const ids = due.map((d) => d.id);
    await m.query(
      `SELECT 1 FROM usage_counters c
        WHERE (c.subscription_id, c.feature_id, c.period_start) IN (
                SELECT subscription_id, feature_id, period_start FROM reservations WHERE id = ANY($1::uuid[]))
        ORDER BY c.subscription_id, c.feature_id, c.period_start
          FOR UPDATE OF c`,
      [ids],
    );
    await m.query(
      `WITH freed AS (
         SELECT subscription_id, feature_id, period_start, sum(quantity) AS q
           FROM reservations WHERE id = ANY($1::uuid[])
          GROUP BY 1, 2, 3
       )
       UPDATE usage_counters c SET held = c.held - freed.q, version = c.version + 1
         FROM freed
        WHERE c.subscription_id = freed.subscription_id AND c.feature_id = freed.feature_id
          AND c.period_start = freed.period_start`,
      [ids],
    );
    await m.query(`UPDATE reservations SET status = 'expired', closed_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
    return { expired: due.length, quantity: due.reduce((sum, d) => sum + BigInt(d.quantity), 0n) };
  }

  /** The quantity all held reservations hold now (the gauge). */
  async heldQuantity(): Promise<number> {
    const [row] = await this.db.query(`SELECT coalesce(sum(quantity), 0)::float8 AS held FROM reservations WHERE status = 'held'`);
    return row.held;
  }
}
