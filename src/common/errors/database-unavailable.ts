import { ErrorCode, TallyError } from './tally.error';

/**
 * SQLSTATEs that mean "the database cannot do this right now", not "Tally is broken": the
 * connection classes (08), operator intervention (57: shut down, terminated, statement_timeout),
 * lock_not_available (lock_timeout), too_many_connections and
 * idle_in_transaction_session_timeout.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57014', '55P03', '53300', '25P03']);

const UNREACHABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** What pg and TypeORM throw, without a code, when the connection went away under a query or a transaction. */
const LOST_CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout|Connection terminated due to connection timeout/;
const LOST_CONNECTION_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: any = error, depth = 0; e && typeof e === 'object' && depth < 4; e = e.driverError ?? e.cause, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || UNREACHABLE_SOCKET_CODES.has(code)) return true;
    if (LOST_CONNECTION_ERRORS.has(e.name) || LOST_CONNECTION_MESSAGES.test(String(e.message ?? ''))) return true;
  }
  return false;
}

export const databaseUnavailable = () =>
  new TallyError(
    ErrorCode.Unavailable,
    'the database is unavailable; what this request had not committed was not counted. Retry with the same idempotencyKey',
    {},
    { 'retry-after': '1' },
  );
