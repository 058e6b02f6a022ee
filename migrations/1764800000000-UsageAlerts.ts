import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage alerts (issue 12): a plan charge's thresholds, announced once per period through the
 * outbox (emit_events, 1764500000000-WebhookOutbox.ts) in the transaction of the count that
 * crossed them.
 * - plan_charges.alerts: the charge's thresholds, `[{ "percent": 80 }, { "units": 5000 }]`, per plan
 *   version like limits; usage_counters.alerts: copied onto a period's counter when it is made, so
 *   a count finds them on the row it counts on.
 * - usage_announcements: one row per (counter, threshold) announced, and one per counter whose
 *   limit refused a use: its primary key makes "once per period" hold whatever the strategy and
 *   the number of instances.
 * - usage_alert_progress: for buffered counters with alerts, the ledger's running total, moved by
 *   each ledger batch under its row lock: the exact count across instances at the moment of the
 *   batch, which the counter row (written by flushes) does not have.
 */
export class UsageAlerts1764800000000 implements MigrationInterface {
  name = 'UsageAlerts1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE plan_charges ADD COLUMN alerts jsonb`);
    await q.query(`ALTER TABLE usage_counters ADD COLUMN alerts jsonb`);
    await q.query(`
      CREATE TABLE usage_announcements (
        subscription_id uuid NOT NULL,
        feature_id uuid NOT NULL,
        period_start timestamptz NOT NULL,
        -- 'percent:80', 'units:5000', or 'refused'
        kind text NOT NULL,
        PRIMARY KEY (subscription_id, feature_id, period_start, kind)
      )`);
    await q.query(`
      CREATE TABLE usage_alert_progress (
        subscription_id uuid NOT NULL,
        feature_id uuid NOT NULL,
        period_start timestamptz NOT NULL,
        used bigint NOT NULL,
        PRIMARY KEY (subscription_id, feature_id, period_start)
      )`);

    // As in 1764500000000-PlanPhases.ts, and the charge's alerts copied onto the counter.
    await q.query(`
      CREATE OR REPLACE FUNCTION tally_ensure_counter(
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
          SELECT c."limit", c.version, c.alerts, least(s.ends_at, phase.ends_at) AS ends_at
            FROM subscriptions s
            JOIN phase ON true
            JOIN plan_charges c ON c.plan_id = phase.plan_id AND c.feature_id = p_feature_id
                               AND c.version = period_plan_version(p_subscription_id, phase.plan_id, p_period_start)
           WHERE s.id = p_subscription_id
        ), created AS (
          INSERT INTO usage_counters (subscription_id, feature_id, period_start, period_end, "limit", plan_version, ends_at, alerts)
          SELECT p_subscription_id, p_feature_id, p_period_start, p_period_end, "limit", version, ends_at, alerts FROM terms
          ON CONFLICT DO NOTHING
        )
        SELECT count(*)::int INTO v_charged FROM terms;
        RETURN v_charged;
      END
      $$`);

    // The data every usage.* event carries, for one counter.
    await q.query(`
      CREATE FUNCTION tally_usage_event_data(
        p_subscription_id uuid, p_feature_id uuid, p_period_start timestamptz, p_period_end timestamptz
      ) RETURNS jsonb LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_object(
          'subscriptionId', s.id,
          'customerExternalId', c.external_id,
          'feature', f.key,
          'periodStart', to_char(p_period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'periodEnd', to_char(p_period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
          FROM subscriptions s
          JOIN customers c ON c.id = s.customer_id
          JOIN features f ON f.id = p_feature_id
         WHERE s.id = p_subscription_id
      $$`);

    // Announces each threshold of the counter that one of the accepted events crossed (its count
    // before it below the threshold, after it at or above), once per period: the first crossing
    // event's count is the event's \`used\`. p_before and p_after: one pair per accepted event,
    // in counting order. Returns how many were announced.
    await q.query(`
      CREATE FUNCTION tally_announce_crossings(
        p_subscription_id uuid, p_feature_id uuid, p_period_start timestamptz, p_before bigint[], p_after bigint[]
      ) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        v_counter usage_counters%ROWTYPE;
        v_alert jsonb;
        v_at integer;
        v_kind text;
        v_announced integer := 0;
      BEGIN
        IF coalesce(array_length(p_after, 1), 0) = 0 THEN
          RETURN 0;
        END IF;
        SELECT * INTO v_counter FROM usage_counters
         WHERE subscription_id = p_subscription_id AND feature_id = p_feature_id AND period_start = p_period_start;
        IF v_counter.alerts IS NULL THEN
          RETURN 0;
        END IF;
        FOR v_alert IN SELECT a FROM jsonb_array_elements(v_counter.alerts) AS a LOOP
          -- Percentages compare scaled by 100: 80% of a limit of 7 is crossed at 5.6, i.e. by 6.
          SELECT x.i INTO v_at
            FROM unnest(p_before, p_after) WITH ORDINALITY AS x(b, a, i)
           WHERE CASE WHEN v_alert ? 'units'
                      THEN x.b < (v_alert->>'units')::bigint AND x.a >= (v_alert->>'units')::bigint
                      ELSE x.b::numeric * 100 < v_counter."limit"::numeric * (v_alert->>'percent')::numeric
                       AND x.a::numeric * 100 >= v_counter."limit"::numeric * (v_alert->>'percent')::numeric
                 END
           ORDER BY x.i LIMIT 1;
          CONTINUE WHEN v_at IS NULL;
          v_kind := CASE WHEN v_alert ? 'units' THEN 'units:' || (v_alert->>'units') ELSE 'percent:' || (v_alert->>'percent') END;
          -- A concurrent announcer of the same threshold (another instance's buffered batch) waits
          -- on this key and then finds it taken.
          INSERT INTO usage_announcements (subscription_id, feature_id, period_start, kind)
          VALUES (p_subscription_id, p_feature_id, p_period_start, v_kind)
          ON CONFLICT DO NOTHING;
          CONTINUE WHEN NOT FOUND;
          PERFORM emit_events('usage.threshold_crossed', ARRAY[
            tally_usage_event_data(p_subscription_id, p_feature_id, p_period_start, v_counter.period_end)
              || jsonb_build_object('threshold', v_alert, 'used', p_after[v_at], 'limit', v_counter."limit")
          ]);
          v_announced := v_announced + 1;
        END LOOP;
        RETURN v_announced;
      END
      $$`);

    // The first refusal by the counter's limit in its period: usage.limit_refused, once.
    await q.query(`
      CREATE FUNCTION tally_announce_refusal(
        p_subscription_id uuid, p_feature_id uuid, p_period_start timestamptz, p_used bigint, p_quantity bigint
      ) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        v_counter usage_counters%ROWTYPE;
      BEGIN
        INSERT INTO usage_announcements (subscription_id, feature_id, period_start, kind)
        VALUES (p_subscription_id, p_feature_id, p_period_start, 'refused')
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        SELECT * INTO v_counter FROM usage_counters
         WHERE subscription_id = p_subscription_id AND feature_id = p_feature_id AND period_start = p_period_start;
        PERFORM emit_events('usage.limit_refused', ARRAY[
          tally_usage_event_data(p_subscription_id, p_feature_id, p_period_start, v_counter.period_end)
            || jsonb_build_object('threshold', NULL, 'used', p_used, 'limit', v_counter."limit", 'quantity', p_quantity)
        ]);
        RETURN true;
      END
      $$`);

    // The atomic strategy on a counter with alerts: tally_count_atomic, then the crossings of its
    // accepted events, in the same statement (so in the same transaction).
    await q.query(`
      CREATE FUNCTION tally_count_atomic_announcing(
        p_subscription_id uuid, p_feature_id uuid, p_period_start timestamptz,
        p_quantities bigint[], p_keys text[], p_occurred timestamptz[]
      ) RETURNS TABLE (status text, used bigint, "limit" bigint)
      LANGUAGE sql VOLATILE AS $$
        WITH counted AS MATERIALIZED (
          SELECT r.status, r.used, r."limit", r.i
            FROM tally_count_atomic(p_subscription_id, p_feature_id, p_period_start, p_quantities, p_keys, p_occurred)
                 WITH ORDINALITY AS r(status, used, "limit", i)
        ), announced AS MATERIALIZED (
          SELECT tally_announce_crossings(
                   p_subscription_id, p_feature_id, p_period_start,
                   coalesce(array_agg(c.used - p_quantities[c.i] ORDER BY c.i) FILTER (WHERE c.status = 'accepted'), '{}'),
                   coalesce(array_agg(c.used ORDER BY c.i) FILTER (WHERE c.status = 'accepted'), '{}')) AS n
            FROM counted c
        )
        SELECT c.status, c.used, c."limit" FROM counted c CROSS JOIN announced ORDER BY c.i
      $$`);

    // A buffered ledger batch's events of one counter with alerts: the ledger's running total moved
    // under its row lock (batches of every instance take it in turn), and the crossings announced.
    await q.query(`
      CREATE FUNCTION tally_buffered_progress(
        p_subscription_id uuid, p_feature_id uuid, p_period_start timestamptz, p_quantities bigint[]
      ) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        v_total bigint;
        v_after bigint;
      BEGIN
        -- A counter without alerts keeps no running total (a reservation's commit asks regardless).
        IF NOT EXISTS (SELECT 1 FROM usage_counters
                        WHERE subscription_id = p_subscription_id AND feature_id = p_feature_id
                          AND period_start = p_period_start AND alerts IS NOT NULL) THEN
          RETURN 0;
        END IF;
        SELECT sum(q) INTO v_total FROM unnest(p_quantities) AS q;
        INSERT INTO usage_alert_progress AS p (subscription_id, feature_id, period_start, used)
        VALUES (p_subscription_id, p_feature_id, p_period_start, v_total)
        ON CONFLICT (subscription_id, feature_id, period_start) DO UPDATE SET used = p.used + excluded.used
        RETURNING p.used INTO v_after;
        RETURN tally_announce_crossings(
          p_subscription_id, p_feature_id, p_period_start,
          (SELECT array_agg(v_after - v_total + s - q ORDER BY i) FROM (
             SELECT q, i, (sum(q) OVER (ORDER BY i))::bigint AS s FROM unnest(p_quantities) WITH ORDINALITY AS x(q, i)) r),
          (SELECT array_agg(v_after - v_total + s ORDER BY i) FROM (
             SELECT i, (sum(q) OVER (ORDER BY i))::bigint AS s FROM unnest(p_quantities) WITH ORDINALITY AS x(q, i)) r));
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tally_buffered_progress(uuid, uuid, timestamptz, bigint[])`);
    await q.query(`DROP FUNCTION tally_count_atomic_announcing(uuid, uuid, timestamptz, bigint[], text[], timestamptz[])`);
    await q.query(`DROP FUNCTION tally_announce_refusal(uuid, uuid, timestamptz, bigint, bigint)`);
    await q.query(`DROP FUNCTION tally_announce_crossings(uuid, uuid, timestamptz, bigint[], bigint[])`);
    await q.query(`DROP FUNCTION tally_usage_event_data(uuid, uuid, timestamptz, timestamptz)`);
    await q.query(`DROP TABLE usage_alert_progress`);
    await q.query(`DROP TABLE usage_announcements`);
    await q.query(`ALTER TABLE usage_counters DROP COLUMN alerts`);
    await q.query(`ALTER TABLE plan_charges DROP COLUMN alerts`);
  }
}
