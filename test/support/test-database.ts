import { Client } from 'pg';
import { ScratchDatabase, createScratchDatabase } from '../../src/database/scratch-database';

/** The server the suite runs against (global-setup sets it when it starts the embedded one). */
export function serverUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests through jest (global-setup)');
  return url;
}

/** A fresh, empty database on the test server; the app creates its tables by migrating it. */
export function createTestDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(serverUrl(), 'tally_test');
}

/**
 * A pg session of the test's own on a test database, behind the app's back: to hold a lock or
 * a transaction open, or to watch the database while the test runs. The caller ends it.
 */
export async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** One statement on a session of its own, for asserting on what is stored. */
export async function sql<T = any>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = await connect(url);
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// What a database holds, read behind the app's back.

export interface Totals {
  /** Counter rows of the subscription (one per feature and period). */
  counters: number;
  /** Sums over those rows: what the counting (or, for buffered, the flushes) wrote, and leased quota. */
  used: number;
  reserved: number;
  /** The largest limit among them; null when none has one. */
  limit: number | null;
  /** The ledger: rows and the sum of their quantities. */
  events: number;
  quantity: number;
}

export async function totals(databaseUrl: string, subscriptionId: string): Promise<Totals> {
  const [row] = await sql(
    databaseUrl,
    `SELECT (SELECT count(*)::int FROM usage_counters WHERE subscription_id = $1) AS counters,
            (SELECT coalesce(sum(used), 0)::float8 FROM usage_counters WHERE subscription_id = $1) AS used,
            (SELECT coalesce(sum(reserved), 0)::float8 FROM usage_counters WHERE subscription_id = $1) AS reserved,
            (SELECT max("limit")::float8 FROM usage_counters WHERE subscription_id = $1) AS "limit",
            (SELECT count(*)::int FROM usage_events WHERE subscription_id = $1) AS events,
            (SELECT coalesce(sum(quantity), 0)::float8 FROM usage_events WHERE subscription_id = $1) AS quantity`,
    [subscriptionId],
  );
  return row;
}

/** Ledger and counters of the whole database, for "nothing was counted" checks. */
export async function databaseTotals(databaseUrl: string): Promise<{ counters: number; used: number; events: number }> {
  const [row] = await sql(
    databaseUrl,
    `SELECT (SELECT count(*)::int FROM usage_counters) AS counters,
            (SELECT coalesce(sum(used), 0)::float8 FROM usage_counters) AS used,
            (SELECT count(*)::int FROM usage_events) AS events`,
  );
  return row;
}

/** Each idempotency key in the ledger of a subscription, with how many rows carry it. */
export async function ledgerKeys(databaseUrl: string, subscriptionId: string): Promise<Map<string, number>> {
  const rows = await sql<{ key: string; n: number }>(
    databaseUrl,
    `SELECT idempotency_key AS key, count(*)::int AS n FROM usage_events
      WHERE subscription_id = $1 GROUP BY idempotency_key`,
    [subscriptionId],
  );
  return new Map(rows.map((r) => [r.key, r.n]));
}

/** The live (registered, not yet retired) buffered instances, in start order. */
export async function instances(databaseUrl: string): Promise<string[]> {
  const rows = await sql<{ id: string }>(databaseUrl, 'SELECT id FROM usage_instances ORDER BY lock_key');
  return rows.map((r) => r.id);
}
