import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TallyConfig } from '../config/config';
import { MIGRATIONS_LOCK, openLockSession, unlock, waitForLock } from './advisory-locks';

/**
 * Runs pending migrations holding a session advisory lock, so two instances starting together
 * do not both try to create the same tables: the second waits, then finds nothing to do.
 * The lock's session is a connection of its own, so the migrations have the whole pool: with the
 * lock on a pool connection, a pool of one (DB_POOL_SIZE=1) left them none, and the start timed out.
 */
export async function migrate(dataSource: DataSource, config: Pick<TallyConfig, 'databaseUrl'>): Promise<void> {
  const logger = new Logger('Migrations');
  const session = await openLockSession(config, (error) => logger.warn(`migration lock connection lost error=${error.message}`));
  try {
    await waitForLock(session, MIGRATIONS_LOCK);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) logger.log(`applied=${applied.map((m) => m.name).join(',')}`);
  } finally {
    await unlock(session, MIGRATIONS_LOCK).catch(() => undefined);
    await session.end().catch(() => undefined);
  }
}
