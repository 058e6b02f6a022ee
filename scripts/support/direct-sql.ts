/**
 * The SQL each strict strategy runs, as `npm run bench` drives it straight from a pg pool,
 * without HTTP or Nest in between: the database's own limit for that shape of work on one hot
 * counter. Compare a row here with the same strategy through HTTP to see how much of the time
 * goes to the database and how much to everything above it.
 *
 * KEEP IN SYNC with the server's statements: src/usage/counters/usage-counters.repository.ts
 * (countAtomic, lock, read, setUsed, setUsedIfVersion), src/usage/ledger/usage-events.repository.ts
 * (insert) and the function tally_count_atomic() (migrations/1764400000000-CounterTerms.ts). Each
 * statement below names the one it mirrors. Where the bench departs from the server it says so:
 * statements are named prepared statements (parsed and planned once per connection; TypeORM
 * sends unnamed ones), and no idempotency keys are sent (the server then skips its key lookup).
 *
 * "Combining" carries N events of the hot counter in one transaction, as the server's
 * CounterQueue does when N requests for one counter wait behind the transaction in flight.
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

/** UsageCountersRepository.countAtomic: each event's conditional UPDATE and ledger row, in one statement. */
export const ATOMIC_COUNT = `
  SELECT status, used, "limit" FROM tally_count_atomic($1, $2, $3, $4::bigint[], $5::text[], $6::timestamptz[])`;

const COUNTER_READ = `
  SELECT used, "limit", closed_at, ends_at, version FROM usage_counters
   WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3`;

/** UsageCountersRepository.lock, as PessimisticStrategy reads. */
export const PESSIMISTIC_READ = `${COUNTER_READ} FOR UPDATE`;

/** UsageCountersRepository.setUsed: the decided total written back under the row lock. */
export const PESSIMISTIC_WRITE = `
  UPDATE usage_counters SET used = $4
   WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3`;

/** UsageCountersRepository.read, as OptimisticStrategy reads: no lock. */
export const OPTIMISTIC_READ = COUNTER_READ;

/** UsageCountersRepository.setUsedIfVersion: matches no row when another writer moved the version since the read. */
export const OPTIMISTIC_WRITE = `
  UPDATE usage_counters SET used = $5, version = version + 1
   WHERE subscription_id = $1 AND feature_id = $2 AND period_start = $3
     AND version = $4 AND closed_at IS NULL`;

/** UsageEventsRepository.insert: the transaction's ledger rows from arrays, one statement. */
export const LEDGER_INSERT_MANY = `
  INSERT INTO usage_events ${LEDGER_COLUMNS}
  SELECT $1, $2, $3, e.quantity, e.key, e.occurred_at, e.used_after
    FROM unnest($4::bigint[], $5::text[], $6::timestamptz[], $7::bigint[]) AS e(quantity, key, occurred_at, used_after)
  ${ON_DUPLICATE_KEY}
  RETURNING 1`;

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
  const { rows } = await run(client, name, text, [...keyOf(counter)]);
  const row = rows[0];
  if (!row || row.closed_at || (row.ends_at && row.ends_at <= now)) refused(name);
  const used = BigInt(row.used);
  if (row.limit !== null && used + BigInt(events) > BigInt(row.limit)) refused(name);
  return { used, version: row.version as number };
}

/** The ledger rows of `events` events of quantity 1 counted on top of `usedBefore`. */
async function record(client: PoolClient, counter: CounterKey, now: Date, events: number, usedBefore: bigint) {
  await run(client, 'bench-ledger-insert-many', LEDGER_INSERT_MANY, [
    ...keyOf(counter),
    Array.from({ length: events }, () => 1),
    Array.from({ length: events }, () => null),
    Array.from({ length: events }, () => now),
    Array.from({ length: events }, (_, i) => (usedBefore + BigInt(i + 1)).toString()),
  ]);
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

/** atomic: one statement (the function), no explicit transaction (autocommit). */
export const atomic: Shape = async (client, counter, events) => {
  const now = new Date();
  const { rows } = await run(client, 'bench-atomic', ATOMIC_COUNT, [
    ...keyOf(counter),
    Array.from({ length: events }, () => 1),
    Array.from({ length: events }, () => null),
    Array.from({ length: events }, () => now),
  ]);
  if (rows.some((r) => r.status !== 'accepted')) refused('atomic');
  return { events, conflicts: 0 };
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
 * race ends its transaction (nothing written) and tries again at once: the server sleeps a jittered backoff between attempts, which is
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
