import { UsageEventResponse } from '../dto/usage.responses';

/** The CSV columns: the fields of an item of the JSON list, in its order. */
export const CSV_COLUMNS: readonly (keyof UsageEventResponse)[] = [
  'id',
  'subscriptionId',
  'feature',
  'quantity',
  'idempotencyKey',
  'occurredAt',
  'recordedAt',
  'periodStart',
];

/** Lines end in CRLF, as RFC 4180 has them; a line break inside a quoted field stays as it was sent. */
const EOL = '\r\n';

/** Characters that make a field be quoted (RFC 4180). */
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One field: as it is, or quoted with its quotes doubled when it holds a comma, a quote or a line
 * break. null (an event without an idempotency key) is an empty field; an empty string is `""`,
 * so the two stay apart.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  if (text === '') return '""';
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** An event as the CSV reads it: every column, its quantity as a number or as the ledger's decimal text. */
export type CsvEvent = Record<(typeof CSV_COLUMNS)[number], string | number | null>;

export const csvLine = (event: CsvEvent) => CSV_COLUMNS.map((column) => csvField(event[column])).join(',') + EOL;

/** Chunks of about this many characters go to the socket: one write per event would cost more than the event. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The header line, then one line per event, in chunks. Pulled by the reply stream, so events are
 * read from `events` only as fast as the client takes them: memory stays flat however many.
 */
export async function* usageEventsCsv(events: AsyncIterable<CsvEvent>): AsyncGenerator<string> {
  let chunk = CSV_COLUMNS.join(',') + EOL;
  for await (const event of events) {
    chunk += csvLine(event);
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}
