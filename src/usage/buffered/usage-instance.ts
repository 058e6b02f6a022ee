import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { inTransaction } from '../../common/transaction';
import { TALLY_CONFIG } from '../../config/config.module';
import { TallyConfig } from '../../config/config';
import { USAGE_INSTANCE_LOCK_SPACE, openLockSession, tryLock, unlock, usageInstanceLock } from '../../database/advisory-locks';
import { BufferedUsageRepository } from './buffered-usage.repository';

/**
 * This process as an instance of the buffered strategy. While it lives it holds a session
 * advisory lock on a connection of its own; PostgreSQL drops that lock the moment the process
 * dies (even by SIGKILL), so any instance that can take the lock knows the owner is dead and
 * may retire it: flush its accepted events and take back its leases.
 */
@Injectable()
export class UsageInstance {
  private readonly logger = new Logger(UsageInstance.name);
  private client: Client | undefined;
  private current: string | undefined;
  /** Instances this process was, until it lost their liveness connection (see stillRegisteredLost). */
  private readonly lostIds: string[] = [];
  /** Bumped whenever this process registers anew: in-memory state of an older generation is void. */
  generation = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly repository: BufferedUsageRepository,
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
  ) {}

  /** The id to write with accepted events, or undefined while not registered (answer 503). */
  get id(): string | undefined {
    return this.current;
  }

  async register(): Promise<void> {
    const client = await openLockSession(this.config, (error, session) => this.lost(session, error));
    client.on('end', () => this.lost(client));
    try {
      const id = randomUUID();
      // The row and its liveness lock in one statement: the row becomes visible to others when
      // the statement commits, and by then the lock is held. Taken one statement apart, another
      // instance starting at the same moment could find the row with its lock still free, take
      // this instance for dead and retire it.
      await client.query(
        `WITH registered AS (INSERT INTO usage_instances (id) VALUES ($1) RETURNING lock_key)
         SELECT pg_advisory_lock($2, lock_key) FROM registered`,
        [id, USAGE_INSTANCE_LOCK_SPACE],
      );
      this.client = client;
      this.current = id;
      this.generation++;
      this.logger.log(`registered instance=${id}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Retires every instance whose liveness lock is free: they died with counts not flushed. */
  async retireDead(): Promise<number> {
    const client = this.client;
    if (!client) return 0;
    const others: { id: string; lock_key: number }[] = (
      await client.query('SELECT id, lock_key FROM usage_instances WHERE id <> $1', [this.current])
    ).rows;
    let retired = 0;
    for (const other of others) {
      if (!(await tryLock(client, usageInstanceLock(other.lock_key)))) continue;
      try {
        if (await this.retire(other.id)) {
          retired++;
          this.logger.warn(`retired dead instance=${other.id}: its events flushed, its leases returned`);
        }
      } finally {
        await unlock(client, usageInstanceLock(other.lock_key));
      }
    }
    return retired;
  }

  /** Graceful end: flush, give leases back, drop the row and the lock. */
  async unregister(): Promise<void> {
    const id = this.current;
    const client = this.client;
    this.current = undefined;
    this.client = undefined;
    try {
      if (id) await this.retire(id);
    } finally {
      // Its liveness lock goes with the session: if retiring failed, the next instance retires it.
      await client?.end().catch(() => undefined);
    }
  }

  /** Ends instance `id` in one transaction (BufferedUsageRepository.retire); false when another got there first. */
  private retire(id: string): Promise<boolean> {
    return inTransaction(this.db, (m) => this.repository.retire(m, id));
  }

  /**
   * Of the instances this process was before it lost their liveness connections, those still
   * registered: nobody has retired them from the ledger yet (their lock may still be held by a
   * server session that has not noticed the connection is gone).
   */
  get hasLost(): boolean {
    return this.lostIds.length > 0;
  }

  async stillRegisteredLost(): Promise<string[]> {
    if (this.lostIds.length === 0) return [];
    return this.repository.registeredAmong(this.db.manager, this.lostIds);
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client) return;
    if (this.current) this.lostIds.push(this.current);
    // Without its lock this instance may be retired by another at any moment: stop accepting
    // until it registers anew (the flush schedule retries), and let the survivor flush for it.
    this.logger.warn(`liveness connection lost instance=${this.current} ${error?.message ?? ''}`);
    this.client = undefined;
    this.current = undefined;
  }
}
