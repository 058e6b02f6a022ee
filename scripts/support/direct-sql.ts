/**
 * The SQL each strict strategy runs per event, as `npm run bench` drives it straight from a pg
 * pool, without HTTP or Nest in between: the database's own limit for that shape of work on one
 * hot counter. Compare a row here with the same strategy through HTTP to see how much of the
 * time goes to the database and how much to everything above it.
 *
 * KEEP IN SYNC with the server's statements: src/usage/strategies/{atomic,pessimistic,optimistic}
 * .strategy.ts and src/usage/usage.repository.ts (findCounter, insertEvent). Each statement below
 * names the one it mirrors. Where the bench departs from the server it says so: statements are
 * named prepared statements (parsed and planned once per connection; TypeORM sends unnamed ones),
 * and the `atomic` shape writes counter and ledger in one statement (the server uses two inside a
 * transaction, which is measured too, as ATOMIC_AS_SERVED).
 *
 * "Combining" carries N events of the hot counter in one transaction: one UPDATE adds their sum,
 * one multi-row INSERT writes their N ledger rows. It is all or nothing for the N — a real
 * combiner would have to split a group that does not fit the limit; the bench's limit never trips.
 */
import { PoolClient } from 'pg';

/** The primary key of one usage_counters row. */
export interface CounterKey {
  subscriptionId: string;
  featureId: string;
  periodStart: Date;
}

export interface ShapeOutcome {
  /** Events counted and written to the ledger. */
  events: number;
  /** optimistic: attempts that lost the race (UPDATE … WHERE version matched no row) and were retried. */
  conflicts: number;
}

/** One transaction of a shape, carrying `events` events of quantity 1 for `counter`. */
export type Shape = (client: PoolClient, counter: CounterKey, events: number) => Promise<ShapeOutcome>;

const LEDGER_COLUMNS = '(subscription_id, feature_id, period_start, quantity, idempotency_key, occurred_at, used_after)';
const ON_DUPLICATE_KEY = 'ON CONFLICT (subscription_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING';

/** AtomicStrategy.count: the conditional UPDATE, limit check and subscription share lock inside. */
export const ATOMIC_UPDATE = `
  UPDATE usage_counters SET used = used + $4
   WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3
     AND closed_at IS NULL
     AND ("limit" IS NULL OR used + $4 <= "limit")
     AND EXISTS (SELECT 1 FROM subscriptions s
                  WHERE s.id = $1 AND (s.ends_at IS NULL OR s.ends_at > $5) FOR SHARE)
   RETURNING used, "limit"`;

/** UsageRepository.insertEvent: one ledger row. */
export const LEDGER_INSERT = `
  INSERT INTO usage_events ${LEDGER_COLUMNS}
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ${ON_DUPLICATE_KEY}
  RETURNING id`;

/**
 * ATOMIC_UPDATE and the ledger row in one statement: one round trip, and the counter's row lock
 * held only for that statement and its commit. As written it suits events without an
 * idempotency key: with one, a duplicate would skip the INSERT but keep the UPDATE, so a caller
 * must run it in a transaction and roll back when no row comes back (the bench sends no keys).
 * $4 quantity, $5 occurredAt.
 */
export const ATOMIC_COUNT_AND_RECORD = `
  WITH counted AS (${ATOMIC_UPDATE})
  INSERT INTO usage_events ${LEDGER_COLUMNS}
  SELECT $1, $2, $3, $4, NULL, $5, counted.used FROM counted
  ${ON_DUPLICATE_KEY}
  RETURNING id`;

/**
 * Combined: ATOMIC_UPDATE adds the sum of N events ($4), and N ledger rows come from the arrays
 * $6 (quantities) and $7 (occurredAt), each with the running `used` after it. $5 is the latest
 * occurredAt, for the subscription's end.
 */
export const ATOMIC_COUNT_AND_RECORD_MANY = `
  WITH counted AS (${ATOMIC_UPDATE})
  INSERT INTO usage_events ${LEDGER_COLUMNS}
  SELECT $1, $2, $3, e.quantity, NULL, e.occurred_at,
         counted.used - $4 + sum(e.quantity) OVER (ORDER BY e.n)
    FROM counted, unnest($6::bigint[], $7::timestamptz[]) WITH ORDINALITY AS e(quantity, occurred_at, n)
  ${ON_DUPLICATE_KEY}
  RETURNING id`;

/** UsageRepository.findCounter: the counter and whether its subscription had ended; $4 occurredAt. */
const counterRead = (locks: string) => `
  SELECT c.used, c."limit", c.version, c.closed_at,
         (s.ends_at IS NOT NULL AND s.ends_at <= $4) AS ended
    FROM usage_counters c JOIN subscriptions s ON s.id = c.subscription_id
   WHERE c.subscription_id = $1 AND c.feature_id = $2 AND c.period_start = $3
   ${locks}`;

/** findCounter(…, { lock: true }), as PessimisticStrategy reads. */
export const PESSIMISTIC_READ = counterRead('FOR UPDATE OF c FOR SHARE OF s');

/** PessimisticStrategy.count: the checked total written back under the row lock. */
export const PESSIMISTIC_WRITE = `
  UPDATE usage_counters SET used = $4
   WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3`;

/** findCounter(…, { holdSubscription: true }), as OptimisticStrategy reads. */
export const OPTIMISTIC_READ = counterRead('FOR SHARE OF s');

/** OptimisticStrategy.attempt: matches no row when another writer moved the version since the read. */
export const OPTIMISTIC_WRITE = `
  UPDATE usage_counters SET used = $5, version = version + 1
   WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3
     AND version = $4 AND closed_at IS NULL`;

/** Combined ledger write for the two read-then-write shapes: N rows from arrays, one statement. */
export const LEDGER_INSERT_MANY = `
  INSERT INTO usage_events ${LEDGER_COLUMNS}
  SELECT $1, $2, $3, e.quantity, NULL, e.occurred_at, e.used_after
    FROM unnest($4::bigint[], $5::timestamptz[], $6::bigint[]) AS e(quantity, occurred_at, used_after)
  ${ON_DUPLICATE_KEY}`;

// ---------------------------------------------------------------------------------------------

/** A named prepared statement: pg parses and plans it once per connection. */
const run = (client: PoolClient, name: string, text: string, values: unknown[]) => client.query({ name, text, values });

const keyOf = (c: CounterKey) => [c.subscriptionId, c.featureId, c.periodStart] as const;

function refused(shape: string): never {
  // The bench's counters have a limit far above what a run can count, and are never closed.
  throw new Error(`${shape}: the counter refused an event (closed, ended or at its limit)`);
}

/** The checked read of the two read-then-write shapes; returns `used` and `version`. */
async function readCounter(client: PoolClient, name: string, text: string, counter: CounterKey, now: Date, events: number) {
  const { rows } = await run(client, name, text, [...keyOf(counter), now]);
  const row = rows[0];
  if (!row || row.closed_at || row.ended) refused(name);
  const used = BigInt(row.used);
  if (row.limit !== null && used + BigInt(events) > BigInt(row.limit)) refused(name);
  return { used, version: row.version as number };
}

/** The ledger rows of `events` events of quantity 1 counted on top of `usedBefore`. */
async function record(client: PoolClient, counter: CounterKey, now: Date, events: number, usedBefore: bigint) {
  if (events === 1) {
    await run(client, 'bench-ledger-insert', LEDGER_INSERT, [...keyOf(counter), 1, null, now, (usedBefore + 1n).toString()]);
    return;
  }
  const quantities = Array.from({ length: events }, () => 1);
  const occurred = Array.from({ length: events }, () => now);
  const usedAfter = Array.from({ length: events }, (_, i) => (usedBefore + BigInt(i + 1)).toString());
  await run(client, 'bench-ledger-insert-many', LEDGER_INSERT_MANY, [...keyOf(counter), quantities, occurred, usedAfter]);
}

async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** atomic: one statement, no explicit transaction (autocommit). */
export const atomic: Shape = async (client, counter, events) => {
  const now = new Date();
  const { rowCount } =
    events === 1
      ? await run(client, 'bench-atomic-one', ATOMIC_COUNT_AND_RECORD, [...keyOf(counter), 1, now])
      : await run(client, 'bench-atomic-many', ATOMIC_COUNT_AND_RECORD_MANY, [
          ...keyOf(counter),
          events,
          now,
          Array.from({ length: events }, () => 1),
          Array.from({ length: events }, () => now),
        ]);
  if (rowCount !== events) refused('atomic');
  return { events, conflicts: 0 };
};

/** atomic as the server runs it today: BEGIN; conditional UPDATE; ledger INSERT; COMMIT. */
export const atomicAsServed: Shape = async (client, counter, events) => {
  if (events !== 1) throw new Error('atomicAsServed carries one event per transaction');
  const now = new Date();
  return inTransaction(client, async () => {
    const { rows } = await run(client, 'bench-atomic-update', ATOMIC_UPDATE, [...keyOf(counter), 1, now]);
    if (rows.length === 0) refused('atomicAsServed');
    await run(client, 'bench-ledger-insert', LEDGER_INSERT, [...keyOf(counter), 1, null, now, rows[0].used]);
    return { events, conflicts: 0 };
  });
};

/** pessimistic: BEGIN; SELECT … FOR UPDATE; check; UPDATE; INSERT; COMMIT. */
export const pessimistic: Shape = async (client, counter, events) => {
  const now = new Date();
  return inTransaction(client, async () => {
    const { used } = await readCounter(client, 'bench-pessimistic-read', PESSIMISTIC_READ, counter, now, events);
    await run(client, 'bench-pessimistic-write', PESSIMISTIC_WRITE, [...keyOf(counter), (used + BigInt(events)).toString()]);
    await record(client, counter, now, events, used);
    return { events, conflicts: 0 };
  });
};

/**
 * optimistic: BEGIN; read with the version; check; UPDATE … WHERE version; INSERT; COMMIT. A lost
 * race ends its transaction as the server's does (a commit of nothing but the subscription's share
 * lock) and tries again at once: the server sleeps a jittered backoff between attempts, which is
 * its policy, not the database's limit.
 */
export const optimistic: Shape = async (client, counter, events) => {
  for (let conflicts = 0; ; conflicts++) {
    const now = new Date();
    const won = await inTransaction(client, async () => {
      const { used, version } = await readCounter(client, 'bench-optimistic-read', OPTIMISTIC_READ, counter, now, events);
      const { rowCount } = await run(client, 'bench-optimistic-write', OPTIMISTIC_WRITE, [
        ...keyOf(counter),
        version,
        (used + BigInt(events)).toString(),
      ]);
      if (rowCount === 0) return false;
      await record(client, counter, now, events, used);
      return true;
    });
    if (won) return { events, conflicts };
  }
};
