import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE features (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        key varchar(100) NOT NULL UNIQUE,
        name varchar(255) NOT NULL,
        strategy varchar(20) NOT NULL
          CHECK (strategy IN ('atomic', 'pessimistic', 'optimistic', 'buffered')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // A plan's current state; "version" is the @VersionColumn that PATCH checks against If-Match.
    await q.query(`
      CREATE TABLE plans (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        key varchar(100) NOT NULL UNIQUE,
        name varchar(255) NOT NULL,
        currency char(3) NOT NULL,
        interval varchar(10) NOT NULL CHECK (interval IN ('day', 'week', 'month', 'year')),
        base_fee numeric(30, 12) NOT NULL DEFAULT 0,
        version integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // Every version of a plan is kept: a period is metered and billed by the version that was
    // current when it began, so an edited limit applies from each subscription's next period on.
    await q.query(`
      CREATE TABLE plan_versions (
        plan_id uuid NOT NULL REFERENCES plans (id),
        version integer NOT NULL,
        base_fee numeric(30, 12) NOT NULL,
        effective_from timestamptz NOT NULL,
        PRIMARY KEY (plan_id, version)
      )`);
    await q.query(`
      CREATE TABLE plan_charges (
        plan_id uuid NOT NULL,
        version integer NOT NULL,
        feature_id uuid NOT NULL REFERENCES features (id),
        position integer NOT NULL,
        "limit" bigint CHECK ("limit" >= 0),
        pricing jsonb,
        PRIMARY KEY (plan_id, version, feature_id),
        FOREIGN KEY (plan_id, version) REFERENCES plan_versions (plan_id, version)
      )`);

    await q.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        external_id varchar(255) NOT NULL UNIQUE,
        name varchar(255) NOT NULL,
        email varchar(320),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id uuid NOT NULL REFERENCES customers (id),
        plan_id uuid NOT NULL REFERENCES plans (id),
        start_at timestamptz NOT NULL,
        ends_at timestamptz,
        cancelled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id)`);

    // One counter per (subscription, feature, period). "limit" is copied from the plan version
    // in force when the period began, so the limit check needs nothing but this row.
    // closed_at is set, under the row lock, when the period is invoiced: no count moves after.
    await q.query(`
      CREATE TABLE usage_counters (
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        feature_id uuid NOT NULL REFERENCES features (id),
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        used bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
        "limit" bigint,
        version integer NOT NULL DEFAULT 1,
        closed_at timestamptz,
        PRIMARY KEY (subscription_id, feature_id, period_start),
        CHECK ("limit" IS NULL OR used <= "limit")
      )`);

    // The ledger: every accepted event, committed together with its counter change.
    // The partial unique index is what makes a retried request a duplicate instead of a second count.
    await q.query(`
      CREATE TABLE usage_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        feature_id uuid NOT NULL REFERENCES features (id),
        period_start timestamptz NOT NULL,
        quantity bigint NOT NULL CHECK (quantity > 0),
        idempotency_key varchar(255),
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        used_after bigint NOT NULL
      )`);
    await q.query(`
      CREATE UNIQUE INDEX usage_events_idempotency_idx
        ON usage_events (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`
      CREATE INDEX usage_events_period_idx ON usage_events (subscription_id, period_start, feature_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'usage_events',
      'usage_counters',
      'subscriptions',
      'customers',
      'plan_charges',
      'plan_versions',
      'plans',
      'features',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
