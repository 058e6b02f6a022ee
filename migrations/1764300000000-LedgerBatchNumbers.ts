import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Buffered metering writes several ledger batches of one instance at once. Their event ids no
 * longer grow in commit order, so the flush watermark moves to a batch number the instance
 * hands out itself: it knows which of its numbers are still being written, and flushes only up
 * to the lowest of those. usage_instances.flushed_through now holds a batch number.
 */
export class LedgerBatchNumbers1764300000000 implements MigrationInterface {
  name = 'LedgerBatchNumbers1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_events ADD COLUMN batch_no bigint`);
    await q.query(`DROP INDEX usage_events_instance_idx`);
    await q.query(
      `CREATE INDEX usage_events_instance_batch_idx ON usage_events (instance_id, batch_no) WHERE instance_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX usage_events_instance_batch_idx`);
    await q.query(`CREATE INDEX usage_events_instance_idx ON usage_events (instance_id, id) WHERE instance_id IS NOT NULL`);
    await q.query(`ALTER TABLE usage_events DROP COLUMN batch_no`);
  }
}
