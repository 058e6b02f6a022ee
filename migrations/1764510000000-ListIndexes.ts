import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The indexes the keyset lists walk, in their sort order, so that a page costs the same however
 * deep it is. features.key, plans.key and customers.external_id are unique already, and their
 * unique indexes serve the lists by key.
 *
 * IF NOT EXISTS: on a large ledger, building usage_events_occurred_idx here blocks ingestion
 * for as long as the build takes. Such a database can build it beforehand, by the same name,
 * with CREATE INDEX CONCURRENTLY (which cannot run inside a migration's transaction), and this
 * migration then finds it.
 */
export class ListIndexes1764510000000 implements MigrationInterface {
  name = 'ListIndexes1764510000000';

  async up(q: QueryRunner): Promise<void> {
    // GET /v1/customers?email=: the customers with one address, by externalId.
    await q.query(`CREATE INDEX IF NOT EXISTS customers_email_idx ON customers (email, external_id)`);
    // GET /v1/subscriptions, newest first, alone or filtered by customer or plan. The customer
    // index replaces subscriptions_customer_idx, of which it is an extension.
    await q.query(`CREATE INDEX IF NOT EXISTS subscriptions_created_idx ON subscriptions (created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS subscriptions_customer_created_idx ON subscriptions (customer_id, created_at DESC, id DESC)`,
    );
    await q.query(`DROP INDEX IF EXISTS subscriptions_customer_idx`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS subscriptions_plan_created_idx ON subscriptions (plan_id, created_at DESC, id DESC)`,
    );
    // GET /v1/usage/events: one subscription's events, newest first, and its CSV export. A
    // feature filter reads the same index and skips the other features' rows: one index more on
    // the ledger is what every ingested event pays for, a second (with feature_id) was not worth it.
    await q.query(
      `CREATE INDEX IF NOT EXISTS usage_events_occurred_idx ON usage_events (subscription_id, occurred_at DESC, id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX usage_events_occurred_idx`);
    await q.query(`DROP INDEX subscriptions_plan_created_idx`);
    await q.query(`CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id)`);
    await q.query(`DROP INDEX subscriptions_customer_created_idx`);
    await q.query(`DROP INDEX subscriptions_created_idx`);
    await q.query(`DROP INDEX customers_email_idx`);
  }
}
