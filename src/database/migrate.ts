import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Any fixed 64-bit number that no other advisory lock of Tally's uses. */
const MIGRATION_LOCK = 7_310_001;

/**
 * Runs pending migrations holding a session advisory lock, so two instances starting together
 * do not both try to create the same tables: the second waits, then finds nothing to do.
 */
export async function migrate(dataSource: DataSource): Promise<void> {
  const logger = new Logger('Migrations');
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) logger.log(`applied=${applied.map((m) => m.name).join(',')}`);
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lockRunner.release();
  }
}
