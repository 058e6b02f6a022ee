import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Buffered metering: quota leases between instances, and the ledger bookkeeping that lets the
 * counters be flushed (and recovered after a crash) exactly once.
 */
export class BufferedMetering1764000100000 implements MigrationInterface {
  name = 'BufferedMetering1764000100000';

  async up(q: QueryRunner): Promise<void> {
    // reserved = quota leased to instances and not yet flushed into used. The limit is held by
    // this CHECK and by the conditional statements that move quota between the two.
    await q.query(`ALTER TABLE usage_counters ADD COLUMN reserved bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0)`);
    await q.query(`
      ALTER TABLE usage_counters ADD CONSTRAINT usage_counters_within_limit
        CHECK ("limit" IS NULL OR used + reserved <= "limit")`);

    // A running instance of the buffered strategy. It holds a session advisory lock on lock_key
    // for as long as it lives, so a free lock means a dead instance whose leases can be reclaimed.
    await q.query(`
      CREATE TABLE usage_instances (
        id uuid PRIMARY KEY,
        lock_key integer GENERATED ALWAYS AS IDENTITY UNIQUE,
        flushed_through bigint NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now()
      )`);

    // The slice of a counter's quota an instance may spend in memory. spent counts what it has
    // accepted (in the ledger) and not yet flushed; spent <= granted is checked per batch.
    await q.query(`
      CREATE TABLE usage_leases (
        instance_id uuid NOT NULL REFERENCES usage_instances (id) ON DELETE CASCADE,
        subscription_id uuid NOT NULL,
        feature_id uuid NOT NULL,
        period_start timestamptz NOT NULL,
        granted bigint NOT NULL CHECK (granted >= 0),
        spent bigint NOT NULL DEFAULT 0 CHECK (spent >= 0 AND spent <= granted),
        PRIMARY KEY (instance_id, subscription_id, feature_id, period_start),
        FOREIGN KEY (subscription_id, feature_id, period_start)
          REFERENCES usage_counters (subscription_id, feature_id, period_start)
      )`);
    await q.query(`CREATE INDEX usage_leases_counter_idx ON usage_leases (subscription_id, feature_id, period_start)`);

    // Events accepted by the buffered strategy carry the instance that counts them in memory.
    // Each instance writes its batches one after another, so its event ids grow with commit
    // order and "everything after flushed_through" is exactly what it has not flushed yet.
    await q.query(`ALTER TABLE usage_events ADD COLUMN instance_id uuid`);
    await q.query(`CREATE INDEX usage_events_instance_idx ON usage_events (instance_id, id) WHERE instance_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX usage_events_instance_idx`);
    await q.query(`ALTER TABLE usage_events DROP COLUMN instance_id`);
    await q.query(`DROP TABLE usage_leases`);
    await q.query(`DROP TABLE usage_instances`);
    await q.query(`ALTER TABLE usage_counters DROP CONSTRAINT usage_counters_within_limit`);
    await q.query(`ALTER TABLE usage_counters DROP COLUMN reserved`);
  }
}
