import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox of events and their webhook deliveries.
 * - events: written in the transaction of the change that causes them, never changed afterwards.
 * - webhook_deliveries: one per (event, endpoint) to deliver to, made by the same statement that
 *   writes the event, so an event can never be committed without its deliveries. A resend adds one more.
 * - webhook_delivery_attempts: one row per POST made, what GET …/deliveries lists.
 * - emit_events(): the one way events are written, a plain SQL function, so that PL/pgSQL (the
 *   counting functions, for threshold events) writes them exactly as the application does.
 */
export class WebhookOutbox1764500000000 implements MigrationInterface {
  name = 'WebhookOutbox1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url text NOT NULL,
        -- NULL: every event type, including types added later.
        event_types text[],
        description text,
        enabled boolean NOT NULL DEFAULT true,
        secret text NOT NULL,
        -- After a rotation the old secret still signs until this time.
        previous_secret text,
        previous_secret_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_list_idx ON webhook_endpoints (created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE events (
        id text PRIMARY KEY,
        type text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        data jsonb NOT NULL
      )`);
    await q.query(`CREATE INDEX events_list_idx ON events (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX events_type_list_idx ON events (type, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_id text NOT NULL REFERENCES events (id),
        -- Deleting an endpoint drops what was still to be sent to it, and its log.
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
        -- Attempts started (a claim counts one, also when its process dies before finishing it).
        attempt integer NOT NULL DEFAULT 0,
        -- When it is due; while an attempt runs, the end of its lease.
        next_attempt_at timestamptz,
        response_status integer,
        duration_ms integer,
        error text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The claim query walks this (only what is still to be sent is in it); the metric's min() too.
    await q.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id)`);
    await q.query(`CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id)`);

    await q.query(`
      CREATE TABLE webhook_delivery_attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL,
        event_id text NOT NULL,
        attempt integer NOT NULL,
        -- succeeded; pending: failed and retried at next_attempt_at; failed: the last one failed.
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        response_status integer,
        duration_ms integer NOT NULL,
        error text,
        next_attempt_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_delivery_attempts_list_idx ON webhook_delivery_attempts (endpoint_id, created_at DESC, id DESC)`);

    // One statement: the events, and a due delivery for every enabled endpoint subscribed to the type.
    // Ids are 'evt_' + 122 random bits: unique forever, and the primary key would refuse a repeat.
    await q.query(`
      CREATE FUNCTION emit_events(p_type text, p_data jsonb[]) RETURNS SETOF text
      LANGUAGE sql VOLATILE AS $$
        WITH written AS (
          INSERT INTO events (id, type, data)
          SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), p_type, d FROM unnest(p_data) AS d
          RETURNING id, type
        ), deliveries AS (
          INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at)
          SELECT w.id, e.id, now()
            FROM written w
            JOIN webhook_endpoints e ON e.enabled AND (e.event_types IS NULL OR w.type = ANY (e.event_types))
        )
        SELECT id FROM written
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION emit_events(text, jsonb[])`);
    await q.query(`DROP TABLE webhook_delivery_attempts`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE events`);
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
