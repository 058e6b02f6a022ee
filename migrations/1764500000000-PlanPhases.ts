import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Plan changes (issue 11). A subscription's plan is no longer one column: subscription_plans holds
 * which plan governs it from when on (its phases). The first phase starts at the anchor and is
 * written by a trigger with every new subscription, so nothing that inserts subscriptions has to
 * know. A change "now" adds a phase at the change moment, which cuts the running period in two;
 * a change at "period_end" adds one at the next period boundary (`scheduled`: cancellable until
 * it starts). subscriptions.plan_id stays the plan the subscription started on.
 *
 * Every counter row is governed by the phase its period_start falls in, and no phase is ever
 * added at or before an existing counter's period_start (SubscriptionsService.changePlan refuses
 * that), so the plan version a counter carries is always a version of its phase's plan.
 */
export class PlanPhases1764500000000 implements MigrationInterface {
  name = 'PlanPhases1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE subscription_plans (
        subscription_id uuid NOT NULL REFERENCES subscriptions (id),
        effective_from timestamptz NOT NULL,
        plan_id uuid NOT NULL REFERENCES plans (id),
        scheduled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subscription_id, effective_from)
      )`);
    await q.query(`
      INSERT INTO subscription_plans (subscription_id, effective_from, plan_id)
      SELECT id, start_at, plan_id FROM subscriptions`);
    await q.query(`
      CREATE FUNCTION subscription_first_phase() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO subscription_plans (subscription_id, effective_from, plan_id)
        SELECT id, start_at, plan_id FROM inserted;
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER subscription_first_phase AFTER INSERT ON subscriptions
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION subscription_first_phase()`);
    // Bumped by every plan change and every withdrawal of a pending one: a change names the
    // revision it read, so of two concurrent changes only the first one's guarded UPDATE matches.
    await q.query(`ALTER TABLE subscriptions ADD COLUMN plan_revision integer NOT NULL DEFAULT 0`);

    await q.query(`
      CREATE FUNCTION subscription_plan_at(p_subscription_id uuid, p_at timestamptz) RETURNS uuid
      LANGUAGE sql STABLE AS $$
        SELECT plan_id FROM subscription_plans
         WHERE subscription_id = p_subscription_id AND effective_from <= p_at
         ORDER BY effective_from DESC LIMIT 1
      $$`);

    // Makes sure a counter row exists, governed by the phase its period starts in, ending where
    // that phase ends (a change "now" after it) or where the subscription ends, whichever is first.
    // The subscription row is share-locked FIRST, in a statement of its own: a plan change or a
    // cancellation holds it while it cuts the open counters, and this function is VOLATILE, so
    // the INSERT below runs on a fresh snapshot that sees what such a change committed meanwhile
    // (one statement would re-read the locked row but keep its stale view of the phases).
    // Returns 0 when the governing plan version has no charge for the feature.
    await q.query(`
      CREATE FUNCTION tally_ensure_counter(
        p_subscription_id uuid, p_feature_id uuid, p_period_start timestamptz, p_period_end timestamptz
      ) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        v_charged integer;
      BEGIN
        PERFORM 1 FROM subscriptions WHERE id = p_subscription_id FOR SHARE;
        WITH phase AS (
          SELECT subscription_plan_at(p_subscription_id, p_period_start) AS plan_id,
                 (SELECT min(effective_from) FROM subscription_plans
                   WHERE subscription_id = p_subscription_id AND effective_from > p_period_start) AS ends_at
        ), terms AS (
          SELECT c."limit", c.version, least(s.ends_at, phase.ends_at) AS ends_at
            FROM subscriptions s
            JOIN phase ON true
            JOIN plan_charges c ON c.plan_id = phase.plan_id AND c.feature_id = p_feature_id
                               AND c.version = period_plan_version(p_subscription_id, phase.plan_id, p_period_start)
           WHERE s.id = p_subscription_id
        ), created AS (
          INSERT INTO usage_counters (subscription_id, feature_id, period_start, period_end, "limit", plan_version, ends_at)
          SELECT p_subscription_id, p_feature_id, p_period_start, p_period_end, "limit", version, ends_at FROM terms
          ON CONFLICT DO NOTHING
        )
        SELECT count(*)::int INTO v_charged FROM terms;
        RETURN v_charged;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tally_ensure_counter(uuid, uuid, timestamptz, timestamptz)`);
    await q.query(`DROP FUNCTION subscription_plan_at(uuid, timestamptz)`);
    await q.query(`ALTER TABLE subscriptions DROP COLUMN plan_revision`);
    await q.query(`DROP TRIGGER subscription_first_phase ON subscriptions`);
    await q.query(`DROP FUNCTION subscription_first_phase()`);
    await q.query(`DROP TABLE subscription_plans`);
  }
}
