import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Everything a count must check lives on the counter row, so that counting touches one row:
 * - plan_version: the plan version that governs the period, chosen once, by period_plan_version(),
 *   when the period's first row is created. The rollup asks the same function, which answers
 *   what the rows carry, so limits and invoices are never governed by two different versions.
 * - ends_at: the subscription's end, copied when the row is created and written onto every open
 *   counter, under its row lock, by a cancellation. A count compares its occurred_at with it
 *   under the same row lock it counts with, instead of share-locking the subscription.
 * And tally_count_atomic(): the atomic strategy's per-event conditional UPDATE, for a whole
 * batch of events on one counter, in one statement (one round trip, however many events).
 */
export class CounterTerms1764400000000 implements MigrationInterface {
  name = 'CounterTerms1764400000000';

  async up(q: QueryRunner): Promise<void> {
    // The last version effective by the period's start; periods older than the plan take its first.
    await q.query(`
      CREATE FUNCTION plan_version_at(p_plan_id uuid, p_period_start timestamptz) RETURNS integer
      LANGUAGE sql STABLE AS $$
        SELECT coalesce(max(version) FILTER (WHERE effective_from <= p_period_start), min(version))
          FROM plan_versions WHERE plan_id = p_plan_id
      $$`);
    await q.query(`ALTER TABLE usage_counters ADD COLUMN plan_version integer, ADD COLUMN ends_at timestamptz`);
    // A period's version once chosen stays its version (a counter of it already carries it), even
    // if an edit takes effect before the period begins; all its counters and its invoice agree.
    await q.query(`
      CREATE FUNCTION period_plan_version(p_subscription_id uuid, p_plan_id uuid, p_period_start timestamptz)
      RETURNS integer LANGUAGE sql STABLE AS $$
        SELECT coalesce(
          (SELECT plan_version FROM usage_counters
            WHERE subscription_id = p_subscription_id AND period_start = p_period_start LIMIT 1),
          plan_version_at(p_plan_id, p_period_start))
      $$`);
    await q.query(`
      UPDATE usage_counters c
         SET plan_version = plan_version_at(s.plan_id, c.period_start), ends_at = s.ends_at
        FROM subscriptions s
       WHERE s.id = c.subscription_id`);
    await q.query(`ALTER TABLE usage_counters ALTER COLUMN plan_version SET NOT NULL`);

    // Each event in order: a conditional UPDATE that moves the count only if the event fits (the
    // limit check is inside the statement that changes the row), then its ledger row. A key the
    // ledger already holds is a duplicate: its count is taken back at once, under the row lock
    // this transaction already holds. A refused event is explained from the row as it is now.
    // First, for several events with distinct keys, the whole group in one conditional UPDATE of
    // their sum and one multi-row INSERT: one row version instead of one per event (a thousand
    // versions of one row in one transaction make each next UPDATE walk them all). It counts the
    // same as the events one by one would when all of them fit; when one does not, or a key turns
    // out taken, the block's subtransaction is rolled back and the events go one by one.
    await q.query(`
      CREATE FUNCTION tally_count_atomic(
        p_subscription_id uuid, p_feature_id uuid, p_period_start timestamptz,
        p_quantities bigint[], p_keys text[], p_occurred timestamptz[]
      ) RETURNS TABLE (status text, used bigint, "limit" bigint)
      LANGUAGE plpgsql AS $$
      DECLARE
        n integer := coalesce(array_length(p_quantities, 1), 0);
        i integer;
        v_used bigint;
        v_limit bigint;
        v_total bigint;
        v_latest timestamptz;
        v_written integer;
        v_row usage_counters%ROWTYPE;
      BEGIN
        IF n > 1 AND (SELECT count(DISTINCT k) = count(k) FROM unnest(p_keys) AS k) THEN
          SELECT sum(x.q), max(x.o) INTO v_total, v_latest FROM unnest(p_quantities, p_occurred) AS x(q, o);
          BEGIN
            UPDATE usage_counters c SET used = c.used + v_total
             WHERE c.subscription_id = p_subscription_id AND c.feature_id = p_feature_id
               AND c.period_start = p_period_start
               AND c.closed_at IS NULL
               AND (c.ends_at IS NULL OR c.ends_at > v_latest)
               AND (c."limit" IS NULL OR c.used + v_total <= c."limit")
            RETURNING c.used, c."limit" INTO v_used, v_limit;
            IF FOUND THEN
              WITH written AS (
                INSERT INTO usage_events
                  (subscription_id, feature_id, period_start, quantity, idempotency_key, occurred_at, used_after)
                SELECT p_subscription_id, p_feature_id, p_period_start, x.q, x.k, x.o,
                       v_used - v_total + sum(x.q) OVER (ORDER BY x.i)
                  FROM unnest(p_quantities, p_keys, p_occurred) WITH ORDINALITY AS x(q, k, o, i)
                ON CONFLICT (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING 1
              )
              SELECT count(*) INTO v_written FROM written;
              IF v_written = n THEN
                RETURN QUERY
                  SELECT 'accepted'::text, (v_used - v_total + sum(x.q) OVER (ORDER BY x.i))::bigint, v_limit
                    FROM unnest(p_quantities) WITH ORDINALITY AS x(q, i)
                   ORDER BY x.i;
                RETURN;
              END IF;
              RAISE EXCEPTION USING ERRCODE = 'TY001';
            END IF;
          EXCEPTION WHEN SQLSTATE 'TY001' THEN
            NULL; -- a key was taken: undone, counted one by one below
          END;
        END IF;

        FOR i IN 1 .. n LOOP
          UPDATE usage_counters c SET used = c.used + p_quantities[i]
           WHERE c.subscription_id = p_subscription_id AND c.feature_id = p_feature_id
             AND c.period_start = p_period_start
             AND c.closed_at IS NULL
             AND (c.ends_at IS NULL OR c.ends_at > p_occurred[i])
             AND (c."limit" IS NULL OR c.used + p_quantities[i] <= c."limit")
          RETURNING c.used, c."limit" INTO v_used, v_limit;
          IF FOUND THEN
            INSERT INTO usage_events
              (subscription_id, feature_id, period_start, quantity, idempotency_key, occurred_at, used_after)
            VALUES (p_subscription_id, p_feature_id, p_period_start, p_quantities[i], p_keys[i], p_occurred[i], v_used)
            ON CONFLICT (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
            IF FOUND THEN
              status := 'accepted'; used := v_used; "limit" := v_limit;
            ELSE
              UPDATE usage_counters c SET used = c.used - p_quantities[i]
               WHERE c.subscription_id = p_subscription_id AND c.feature_id = p_feature_id
                 AND c.period_start = p_period_start;
              status := 'duplicate'; used := NULL; "limit" := NULL;
            END IF;
          ELSE
            SELECT * INTO v_row FROM usage_counters c
             WHERE c.subscription_id = p_subscription_id AND c.feature_id = p_feature_id
               AND c.period_start = p_period_start;
            used := v_row.used; "limit" := v_row."limit";
            -- A retry of an event that was accepted is its duplicate, whatever the counter says now.
            IF p_keys[i] IS NOT NULL AND EXISTS (
                 SELECT 1 FROM usage_events e
                  WHERE e.subscription_id = p_subscription_id AND e.idempotency_key = p_keys[i]) THEN
              status := 'duplicate';
            ELSIF v_row.closed_at IS NOT NULL OR v_row.subscription_id IS NULL THEN
              status := 'closed';
            ELSIF v_row.ends_at IS NOT NULL AND v_row.ends_at <= p_occurred[i] THEN
              status := 'ended';
            ELSE
              status := 'limit';
            END IF;
          END IF;
          RETURN NEXT;
        END LOOP;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION tally_count_atomic(uuid, uuid, timestamptz, bigint[], text[], timestamptz[])`);
    await q.query(`DROP FUNCTION period_plan_version(uuid, uuid, timestamptz)`);
    await q.query(`ALTER TABLE usage_counters DROP COLUMN plan_version, DROP COLUMN ends_at`);
    await q.query(`DROP FUNCTION plan_version_at(uuid, timestamptz)`);
  }
}
