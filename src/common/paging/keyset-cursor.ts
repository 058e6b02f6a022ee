import { isUuid } from '../postgres-errors';
import { stringProblem } from '../text';
import { invalidField } from '../validation';

/**
 * What one position of a keyset holds. Every value travels as text, and each kind is checked
 * before it reaches a query, so that a cursor a client made up is a 400 rather than a 500 from
 * PostgreSQL (a NUL in text, a date out of range, a bigint too large).
 *
 * `timestamp`: ISO 8601 in UTC with up to six decimals. Columns filled by now() hold microseconds,
 * and a cursor rounded to the millisecond would skip the rows between the rounded and the real
 * value: repositories read such a column for the cursor with `keysetTimestamp()`.
 */
export type KeyPart = 'text' | 'uuid' | 'timestamp' | 'bigint';

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?Z$/;
const BIGINT = /^-?\d{1,19}$/;
const MAX_TEXT = 1000;

function isTimestamp(value: string): boolean {
  const match = TIMESTAMP.exec(value);
  if (!match || match[1] === '0000') return false;
  // JavaScript would read 2025-02-30 as March 2nd: the calendar date must survive a round trip.
  const date = new Date(value.slice(0, 19) + 'Z');
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 19) === value.slice(0, 19);
}

function fits(kind: KeyPart, value: unknown): value is string {
  if (typeof value !== 'string') return false;
  switch (kind) {
    case 'text':
      return value.length <= MAX_TEXT && stringProblem('cursor', value) === undefined;
    case 'uuid':
      return isUuid(value);
    case 'timestamp':
      return isTimestamp(value);
    case 'bigint':
      return BIGINT.test(value) && BigInt(value) <= 9223372036854775807n && BigInt(value) >= -9223372036854775808n;
  }
}

/** A cursor's longest text; the query DTOs (PageQuery) refuse anything longer before decoding. */
export const MAX_CURSOR_LENGTH = 4096;

/**
 * The cursor of one list: where a page stopped, as the values of its last row in the list's sort
 * order. Opaque to clients: base64url of a JSON array whose first element names the list, so a
 * cursor of another list (features sent to customers) is refused as surely as garbage is.
 */
export class KeysetCursor<K extends string> {
  constructor(
    private readonly list: string,
    private readonly parts: Readonly<Record<K, KeyPart>>,
  ) {}

  encode(position: Readonly<Record<K, string>>): string {
    const names = Object.keys(this.parts) as K[];
    return Buffer.from(JSON.stringify([this.list, ...names.map((name) => position[name])]), 'utf8').toString('base64url');
  }

  /** The position in `text`, or 400 validation_failed naming `cursor`. */
  decode(text: string): Record<K, string> {
    const names = Object.keys(this.parts) as K[];
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const valid =
      Array.isArray(decoded) &&
      decoded.length === names.length + 1 &&
      decoded[0] === this.list &&
      names.every((name, i) => fits(this.parts[name], decoded[i + 1]));
    if (!valid) throw invalidField('cursor', 'cursor must be a nextCursor returned by this endpoint');
    return Object.fromEntries(names.map((name, i) => [name, (decoded as string[])[i + 1]])) as Record<K, string>;
  }
}

/**
 * SQL: a timestamptz column as the text a `timestamp` key part holds, to the microsecond. Read
 * next to the row for its cursor; compared back as `$n::timestamptz`.
 */
export const keysetTimestamp = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
