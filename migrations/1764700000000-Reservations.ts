import { MigrationInterface, QueryRunner } from 'typeorm';

/** The limit checks of tally_count_atomic() (migrations/1764400000000-CounterTerms.ts), without and with `held`. */
const ATOMIC_LIMIT_CHECKS = [
  ['c.used + v_total <= c."limit"', 'c.used + c.held + v_total <= c."limit"'],
  ['c.used + p_quantities[i] <= c."limit"', 'c.used + c.held + p_quantities[i] <= c."limit"'],
] as const;

/**
 * Reservations (issue 13): quantity held against a limit while work runs, then committed as usage
 * or released.
 * - usage_counters.held: what the counter's open reservations hold. It counts against the limit
 *   like `used` does, and the CHECK that holds buffered leases to the limit now holds all three:
 *   used + reserved + held <= limit, so no strategy can pass it whatever its code does.
 * - reservations: one row per reservation; its status moves, under its row lock, exactly once
 *   from 'held' to 'committed', 'released' or 'expired', in the same transaction as the counter's
 *   `held`.
 * - tally_count_atomic(): its conditional UPDATEs count `held` as taken. The function is rewritten
 *   from its own definition (pg_get_functiondef) with exactly those two conditions changed, and
 *   each must be found, so the rest of it stays what migration 1764400000000 says.
 */
export class Reservations1764700000000 implements MigrationInterface {
  name = 'Reservations1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_counters ADD COLUMN held bigint NOT NULL DEFAULT 0 CHECK (held >= 0)`);
    await q.query(`ALTER TABLE usage_counters DROP CONSTRAINT usage_counters_within_limit`);
    await q.query(`
      ALTER TABLE usage_counters ADD CONSTRAINT usage_counters_within_limit
        CHECK ("limit" IS NULL OR used + reserved + held <= "limit")`);

    await q.query(`
      CREATE TABLE reservations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL,
        feature_id uuid NOT NULL,
        period_start timestamptz NOT NULL,
        quantity bigint NOT NULL CHECK (quantity > 0),
        status varchar(10) NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'committed', 'released', 'expired')),
        idempotency_key varchar(255),
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        closed_at timestamptz,
        -- What a commit made of it: the quantity counted and the count it left, so that a
        -- repeated commit is answered with the same figures.
        committed_quantity bigint,
        used_after bigint,
        FOREIGN KEY (subscription_id, feature_id, period_start)
          REFERENCES usage_counters (subscription_id, feature_id, period_start),
        CHECK ((status = 'committed') = (committed_quantity IS NOT NULL))
      )`);
    // A repeated idempotencyKey is the same reservation: the unique index decides, not a read.
    await q.query(`
      CREATE UNIQUE INDEX reservations_idempotency_idx
        ON reservations (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    // The expiry sweep and the held-quantity gauge read only the held ones.
    await q.query(`CREATE INDEX reservations_held_idx ON reservations (expires_at) WHERE status = 'held'`);

    await this.rewriteAtomicCount(q, 0, 1);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.rewriteAtomicCount(q, 1, 0);
    await q.query(`DROP TABLE reservations`);
    await q.query(`ALTER TABLE usage_counters DROP CONSTRAINT usage_counters_within_limit`);
    await q.query(`
      ALTER TABLE usage_counters ADD CONSTRAINT usage_counters_within_limit
        CHECK ("limit" IS NULL OR used + reserved <= "limit")`);
    await q.query(`ALTER TABLE usage_counters DROP COLUMN held`);
  }

  private async rewriteAtomicCount(q: QueryRunner, from: 0 | 1, to: 0 | 1): Promise<void> {
    const [{ def }] = await q.query(
      `SELECT pg_get_functiondef('tally_count_atomic(uuid, uuid, timestamptz, bigint[], text[], timestamptz[])'::regprocedure) AS def`,
    );
    let rewritten: string = def;
    for (const check of ATOMIC_LIMIT_CHECKS) {
      if (!rewritten.includes(check[from])) throw new Error(`tally_count_atomic() has no limit check ${check[from]}`);
      rewritten = rewritten.split(check[from]).join(check[to]);
    }
    await q.query(rewritten);
  }
}
