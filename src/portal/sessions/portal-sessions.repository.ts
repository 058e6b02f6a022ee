import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** The customer a live session opens the page of. */
export interface PortalSession {
  customerId: string;
  returnUrl: string | null;
}

@Injectable()
export class PortalSessionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The new session's expiry, as the database's clock sets it (the clock every check reads). */
  async create(customerId: string, tokenHash: Buffer, expiresInSeconds: number, returnUrl: string | null): Promise<Date> {
    const [row] = await this.db.query(
      `INSERT INTO portal_sessions (customer_id, token_hash, return_url, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))
       RETURNING expires_at`,
      [customerId, tokenHash, returnUrl, expiresInSeconds],
    );
    return row.expires_at;
  }

  /** Ends every live session of the customer; returns how many there were. */
  async revokeAll(customerId: string): Promise<number> {
    const [, affected] = await this.db.query(
      `UPDATE portal_sessions SET revoked_at = now()
        WHERE customer_id = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [customerId],
    );
    return affected;
  }

  /** The session of this token hash if it is neither revoked nor expired. */
  async findLive(tokenHash: Buffer): Promise<PortalSession | undefined> {
    const [row] = await this.db.query(
      `SELECT customer_id, return_url FROM portal_sessions
        WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [tokenHash],
    );
    return row && { customerId: row.customer_id, returnUrl: row.return_url };
  }
}
