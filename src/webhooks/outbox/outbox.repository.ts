import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EventType } from '../event-types';
import { KeysetCursor, keysetTimestamp } from '../../common/paging/keyset-cursor';

export interface EventRow {
  id: string;
  type: EventType;
  created_at: Date;
  data: Record<string, unknown>;
}

/** Marks a transaction that wrote events, for OutboxCommitSubscriber to wake the delivery worker once it commits. */
export const WROTE_EVENTS = 'tallyWroteEvents';

/** Events newest first: (created_at, id), both descending. */
export const EVENT_CURSOR = new KeysetCursor('events', { createdAt: 'timestamp', id: 'text' });

@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Writes events, with their deliveries, inside the caller's transaction: committed with the
   * change that causes them or not at all. The SQL is `SELECT emit_events(type, data[])`, which a
   * PL/pgSQL function can run the same way (then the worker finds them at its next poll).
   */
  async emit(manager: EntityManager, type: EventType, data: readonly object[]): Promise<string[]> {
    if (data.length === 0) return [];
    const rows: { id: string }[] = await manager.query(`SELECT emit_events($1, $2::jsonb[]) AS id`, [
      type,
      data.map((d) => JSON.stringify(d)),
    ]);
    if (manager.queryRunner) manager.queryRunner.data[WROTE_EVENTS] = true;
    return rows.map((r) => r.id);
  }

  /** Newest first; (created_at, id) is the keyset (EVENT_CURSOR). */
  list(filter: { type?: string; after?: Record<'createdAt' | 'id', string>; limit: number }): Promise<(EventRow & { created_at_key: string })[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where: string[] = [];
    if (filter.type) where.push(`type = ${param(filter.type)}`);
    if (filter.after) where.push(`(created_at, id) < (${param(filter.after.createdAt)}::timestamptz, ${param(filter.after.id)})`);
    return this.db.query(
      `SELECT id, type, created_at, data, ${keysetTimestamp('created_at')} AS created_at_key FROM events
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT ${param(filter.limit)}`,
      params,
    );
  }

  async find(id: string): Promise<EventRow | undefined> {
    const [row] = await this.db.query(`SELECT id, type, created_at, data FROM events WHERE id = $1`, [id]);
    return row;
  }
}
