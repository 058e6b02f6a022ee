import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The customer usage page (issue 14): its sessions, and a per-day rollup of the ledger that the
 * page's daily-usage chart and upcoming invoice read instead of summing a period's events.
 */
export class PortalSessions1764600000000 implements MigrationInterface {
  name = 'PortalSessions1764600000000';

  async up(q: QueryRunner): Promise<void> {
    // Only the SHA-256 of a token is kept: a copy of this table opens no page. A session shows one
    // customer's figures and nothing can be changed through it.
    await q.query(`
      CREATE TABLE portal_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id uuid NOT NULL REFERENCES customers (id),
        token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
        return_url text,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Revoking all of a customer's sessions touches only its live ones.
    await q.query(`CREATE INDEX portal_sessions_customer_idx ON portal_sessions (customer_id) WHERE revoked_at IS NULL`);

    // Daily sums of the ledger's events recorded before usage_daily_watermark.sealed_through; the
    // events recorded since are summed live, so sealing never changes a figure, only its cost.
    // day is the UTC day of occurred_at (what the chart shows); recorded_at decides what is sealed,
    // since an event may be dated into a day that has long begun.
    await q.query(`
      CREATE TABLE usage_daily (
        subscription_id uuid NOT NULL,
        period_start timestamptz NOT NULL,
        feature_id uuid NOT NULL,
        day date NOT NULL,
        quantity bigint NOT NULL,
        PRIMARY KEY (subscription_id, period_start, feature_id, day)
      )`);
    await q.query(`
      CREATE TABLE usage_daily_watermark (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        sealed_through timestamptz NOT NULL
      )`);
    // Everything recorded so far is still to be sealed: the sealer works through it a day at a time.
    // Milliseconds: the sealer moves the watermark in JavaScript Dates, which hold no finer time.
    await q.query(`
      INSERT INTO usage_daily_watermark (sealed_through)
      SELECT date_trunc('milliseconds', coalesce(min(recorded_at), now())) FROM usage_events`);
    // recorded_at grows with the table's physical order (append-only, default now()), so a BRIN
    // index finds "recorded since" in the last few block ranges, at almost no cost to ingestion:
    // a B-tree here would be a fifth index written by every ledger insert.
    await q.query(`CREATE INDEX usage_events_recorded_brin ON usage_events USING brin (recorded_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX usage_events_recorded_brin`);
    await q.query(`DROP TABLE usage_daily_watermark`);
    await q.query(`DROP TABLE usage_daily`);
    await q.query(`DROP TABLE portal_sessions`);
  }
}
