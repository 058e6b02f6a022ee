import { Client } from 'pg';
import { TallyConfig } from '../config/config';
import { connectionConfig } from './data-source-options';

/**
 * A PostgreSQL advisory lock: one bigint key, or two int4 keys (a space, and an id within it).
 * PostgreSQL keeps the two kinds apart (pg_locks.objsubid 1 and 2), so the same number may be a
 * one-key lock and the first of a two-key one without clashing; Tally still gives every lock a
 * number of its own, so that pg_locks reads without a legend.
 */
export interface AdvisoryLock {
  readonly keys: readonly [key: number] | readonly [space: number, id: number];
}

// Every advisory lock Tally takes. A new one takes the next free number here, never a number that
// another version of Tally still running during a rolling deploy may hold for something else.

/**
 * Held by the instance running the migrations at start-up (database/migrate.ts), for as long as
 * they run. Others wait for it (pg_advisory_lock), then find nothing left to apply.
 */
export const MIGRATIONS_LOCK: AdvisoryLock = { keys: [7_310_001] };

/**
 * Two-key locks (7_310_002, usage_instances.lock_key): each live instance of the buffered strategy
 * holds its own for its whole life (usage/buffered/usage-instance.ts); a lock that another instance
 * can take belongs to a dead one, which that instance then retires. The number is the one every
 * release so far has used: an instance looking at another number during a rolling deploy would
 * find the old instances' locks free and retire them while they still run.
 */
export const USAGE_INSTANCE_LOCK_SPACE = 7_310_002;

export function usageInstanceLock(lockKey: number): AdvisoryLock {
  return { keys: [USAGE_INSTANCE_LOCK_SPACE, lockKey] };
}

/**
 * Held for a whole billing rollup (billing/rollup/billing-rollup.service.ts) so that one instance
 * at a time does the work; a run that cannot take it (pg_try_advisory_lock) answers skipped.
 * It was 7_310_002 as a one-key lock until the registry: an old and a new instance of a rolling
 * deploy may then both run a rollup, which the unique (subscription, period) index of invoices
 * makes harmless.
 */
export const BILLING_ROLLUP_LOCK: AdvisoryLock = { keys: [7_310_003] };

/** The number of every lock above (a two-key lock's space): advisory-locks.spec.ts checks they differ. */
export const ADVISORY_LOCK_NUMBERS = [MIGRATIONS_LOCK.keys[0], USAGE_INSTANCE_LOCK_SPACE, BILLING_ROLLUP_LOCK.keys[0]];

/**
 * A session of its own for session-level advisory locks: a connection outside the pool, made with
 * the pool's settings (connectionConfig). A lock taken on it lives exactly as long as this session,
 * and ends with it however it ends, the process's death included; pool connections are shared and
 * reused, which would let a lock outlive its holder or be released by someone else.
 *
 * `onError` is required: a dropped connection emits 'error', which would otherwise take the whole
 * process down.
 */
export async function openLockSession(
  config: Pick<TallyConfig, 'databaseUrl'>,
  onError: (error: Error, session: Client) => void,
): Promise<Client> {
  const session = new Client(connectionConfig(config));
  session.on('error', (error) => onError(error, session));
  await session.connect();
  return session;
}

/** `($1)` or `($1, $2)`: which of the pg_*advisory* functions runs is chosen by the arity. */
const call = (fn: string, lock: AdvisoryLock) => `SELECT ${fn}(${lock.keys.map((_, i) => `$${i + 1}`).join(', ')}) AS result`;

/** pg_try_advisory_lock: true when taken, false at once when another session holds it. */
export async function tryLock(session: Client, lock: AdvisoryLock): Promise<boolean> {
  const { rows } = await session.query(call('pg_try_advisory_lock', lock), [...lock.keys]);
  return rows[0].result === true;
}

/** pg_advisory_lock: waits until this session holds the lock. */
export async function waitForLock(session: Client, lock: AdvisoryLock): Promise<void> {
  await session.query(call('pg_advisory_lock', lock), [...lock.keys]);
}

/** pg_advisory_unlock: false when this session did not hold it. */
export async function unlock(session: Client, lock: AdvisoryLock): Promise<boolean> {
  const { rows } = await session.query(call('pg_advisory_unlock', lock), [...lock.keys]);
  return rows[0].result === true;
}
