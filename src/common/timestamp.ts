import { isISO8601 } from 'class-validator';

/** Date and time, not a date alone. */
export const HAS_TIME = /^\d{4}-\d{2}-\d{2}T/;
const HAS_OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * The one reading of a timestamp in the API: ISO 8601 as class-validator's strict isISO8601 checks
 * it (real calendar dates, `T` between date and time), then as a Date. A date alone is midnight
 * UTC and a time without an offset is UTC: never the server's own time zone. undefined when the
 * text is not such a timestamp.
 */
export function parseTimestamp(text: string): Date | undefined {
  if (!isISO8601(text, { strict: true, strictSeparator: true })) return undefined;
  const date = new Date(HAS_TIME.test(text) && !HAS_OFFSET.test(text) ? `${text}Z` : text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
