import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KeysetCursor, keysetTimestamp } from '../../common/paging/keyset-cursor';
import { EventType } from '../event-types';

/** An endpoint as stored, without its secrets (only the worker's claim reads those). */
export interface EndpointRow {
  id: string;
  url: string;
  event_types: EventType[] | null;
  description: string | null;
  enabled: boolean;
  created_at: Date;
}

export interface EndpointChanges {
  url?: string;
  eventTypes?: EventType[] | null;
  description?: string | null;
  enabled?: boolean;
}

const COLUMNS = `id, url, event_types, description, enabled, created_at`;

/** Endpoints newest first: (created_at, id), both descending. */
export const ENDPOINT_CURSOR = new KeysetCursor('webhook-endpoints', { createdAt: 'timestamp', id: 'uuid' });

@Injectable()
export class WebhookEndpointsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(endpoint: { url: string; eventTypes: EventType[] | null; description: string | null; secret: string }): Promise<EndpointRow> {
    const [row] = await this.db.query(
      `INSERT INTO webhook_endpoints (url, event_types, description, secret) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [endpoint.url, endpoint.eventTypes, endpoint.description, endpoint.secret],
    );
    return row;
  }

  /** Newest first; (created_at, id) is the keyset (ENDPOINT_CURSOR). */
  list(after: Record<'createdAt' | 'id', string> | undefined, limit: number): Promise<(EndpointRow & { created_at_key: string })[]> {
    const params: unknown[] = [limit];
    const keyset = after ? `WHERE (created_at, id) < ($2::timestamptz, $3::uuid)` : '';
    if (after) params.push(after.createdAt, after.id);
    return this.db.query(
      `SELECT ${COLUMNS}, ${keysetTimestamp('created_at')} AS created_at_key FROM webhook_endpoints ${keyset}
        ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    );
  }

  async find(id: string): Promise<EndpointRow | undefined> {
    const [row] = await this.db.query(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = $1`, [id]);
    return row;
  }

  /** Changes only the fields given (`eventTypes: null` and `description: null` are values too). */
  async update(id: string, changes: EndpointChanges): Promise<EndpointRow | undefined> {
    const params: unknown[] = [id];
    const set = ['updated_at = now()'];
    const assign = (column: string, value: unknown) => {
      if (value !== undefined) set.push(`${column} = $${params.push(value)}`);
    };
    assign('url', changes.url);
    assign('event_types', changes.eventTypes);
    assign('description', changes.description);
    assign('enabled', changes.enabled);
    const [rows] = await this.db.query(`UPDATE webhook_endpoints SET ${set.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`, params);
    return rows[0];
  }

  async delete(id: string): Promise<boolean> {
    const [, affected] = await this.db.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [id]);
    return affected === 1;
  }

  /**
   * The new secret signs from now on and the current one keeps signing until `overlapMs` from now.
   * One statement, so two concurrent rotations cannot both keep the same old secret: the second
   * sees the first's new secret as current. A secret older than the previous one stops signing.
   */
  async rotateSecret(id: string, secret: string, overlapMs: number): Promise<EndpointRow | undefined> {
    const [rows] = await this.db.query(
      `UPDATE webhook_endpoints
          SET previous_secret = secret, previous_secret_expires_at = now() + $3 * interval '1 millisecond',
              secret = $2, updated_at = now()
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, secret, overlapMs],
    );
    return rows[0];
  }
}
