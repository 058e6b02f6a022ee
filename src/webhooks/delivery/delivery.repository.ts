import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KeysetCursor, keysetTimestamp } from '../../common/paging/keyset-cursor';
import { EventType } from '../event-types';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** A delivery claimed by this worker: what to send and where, and the attempt it is. */
export interface ClaimedDelivery {
  id: string;
  attempt: number;
  event_id: string;
  type: EventType;
  created_at: Date;
  data: Record<string, unknown>;
  url: string;
  /** The current secret, then the previous one while it is still valid after a rotation. */
  secrets: string[];
}

export interface AttemptRow {
  id: string;
  delivery_id: string;
  event_id: string;
  attempt: number;
  status: DeliveryStatus;
  response_status: number | null;
  duration_ms: number;
  error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempt: number;
  next_attempt_at: Date | null;
  created_at: Date;
}

export interface AttemptOutcome {
  status: DeliveryStatus;
  /** For `pending`: when the next attempt is due. */
  retryInMs?: number;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
}

/** Delivery attempts newest first: (created_at, id), both descending. */
export const ATTEMPT_CURSOR = new KeysetCursor('webhook-attempts', { createdAt: 'timestamp', id: 'bigint' });

@Injectable()
export class DeliveryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Claims up to `limit` due deliveries in one short statement (its own transaction): SKIP LOCKED
   * lets every instance's worker claim at once without waiting on each other or taking the same
   * row, and the lease (next_attempt_at pushed `leaseMs` ahead) keeps a claimed delivery from
   * being claimed again while its POST runs. A worker killed mid-POST never finishes it: the
   * lease passes and any worker claims it again. At least once, never lost.
   */
  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    // An UPDATE answers [rows, count] through TypeORM.
    const [rows] = await this.db.query(
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d
           JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          ORDER BY d.next_attempt_at
          LIMIT $1
            FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d
          SET attempt = d.attempt + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
         FROM due, events ev, webhook_endpoints e
        WHERE d.id = due.id AND ev.id = d.event_id AND e.id = d.endpoint_id
       RETURNING d.id, d.attempt, ev.id AS event_id, ev.type, ev.created_at, ev.data, e.url,
                 array_remove(ARRAY[e.secret, CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END], NULL) AS secrets`,
      [limit, leaseMs],
    );
    return rows;
  }

  /**
   * Records the outcome of attempt `attempt` and logs it. Only the holder of that attempt may: if
   * its lease ran out and another worker claimed the delivery again, the attempt number moved on
   * and this UPDATE matches nothing (the newer attempt records its own outcome).
   */
  async finish(id: string, attempt: number, outcome: AttemptOutcome): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH updated AS (
         UPDATE webhook_deliveries
            SET status = $3,
                next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + $4 * interval '1 millisecond' END,
                response_status = $5, duration_ms = $6, error = $7
          WHERE id = $1 AND attempt = $2 AND status = 'pending'
         RETURNING id, endpoint_id, event_id, attempt, next_attempt_at
       )
       INSERT INTO webhook_delivery_attempts
         (delivery_id, endpoint_id, event_id, attempt, status, response_status, duration_ms, error, next_attempt_at)
       SELECT id, endpoint_id, event_id, attempt, $3, $5, $6, $7, next_attempt_at FROM updated
       RETURNING id`,
      [id, attempt, outcome.status, outcome.retryInMs ?? 0, outcome.responseStatus, outcome.durationMs, outcome.error],
    );
    return rows.length === 1;
  }

  /** A new delivery of an event to an endpoint, due now; undefined when either is unknown. */
  async create(eventId: string, endpointId: string): Promise<DeliveryRow | undefined> {
    const [row] = await this.db.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at)
       SELECT ev.id, e.id, now() FROM events ev, webhook_endpoints e WHERE ev.id = $1 AND e.id = $2
       RETURNING id, event_id, endpoint_id, status, attempt, next_attempt_at, created_at`,
      [eventId, endpointId],
    );
    return row;
  }

  /** An endpoint's attempts, newest first; (created_at, id) is the keyset (ATTEMPT_CURSOR). */
  attempts(endpointId: string, after: Record<'createdAt' | 'id', string> | undefined, limit: number): Promise<(AttemptRow & { created_at_key: string })[]> {
    const params: unknown[] = [endpointId, limit];
    const keyset = after ? `AND (created_at, id) < ($3::timestamptz, $4::bigint)` : '';
    if (after) params.push(after.createdAt, after.id);
    return this.db.query(
      `SELECT id::text AS id, delivery_id, event_id, attempt, status, response_status, duration_ms, error, next_attempt_at, created_at,
              ${keysetTimestamp('created_at')} AS created_at_key
         FROM webhook_delivery_attempts
        WHERE endpoint_id = $1 ${keyset}
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
  }

  /** Seconds since the oldest event with a delivery still pending was written; 0 when none is. */
  async oldestUndeliveredAgeSeconds(): Promise<number> {
    const [row] = await this.db.query(
      // Deliveries held for a disabled endpoint wait on purpose: they are not a backlog.
      `SELECT coalesce(extract(epoch FROM now() - min(ev.created_at)), 0)::float8 AS age
         FROM webhook_deliveries d
         JOIN events ev ON ev.id = d.event_id
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
        WHERE d.status = 'pending'`,
    );
    return Number(row.age);
  }
}
