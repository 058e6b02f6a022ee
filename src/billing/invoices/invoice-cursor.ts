import { isUuid } from '../../common/postgres-errors';
import { invalidField } from '../../common/validation';

/** Where a page of invoices stopped: the (periodStart, id) of its last invoice, newest first. */
export interface InvoiceCursor {
  periodStart: Date;
  id: string;
}

/** Opaque to clients: base64url of "<periodStart ISO>|<id>". */
export function encodeCursor(cursor: InvoiceCursor): string {
  return Buffer.from(`${cursor.periodStart.toISOString()}|${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): InvoiceCursor {
  const [iso, id, extra] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const periodStart = new Date(iso);
  if (extra !== undefined || !/^\d{4}-\d{2}-\d{2}T/.test(iso ?? '') || Number.isNaN(periodStart.getTime()) || !isUuid(id)) {
    throw invalidField('cursor', 'cursor must be a nextCursor returned by this endpoint');
  }
  return { periodStart, id };
}
