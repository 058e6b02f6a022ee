import { decodeKeyset, encodeKeyset } from '../../common/keyset-cursor';
import { isUuid } from '../../common/postgres-errors';

/** Where a page of invoices stopped: the (periodStart, id) of its last invoice, newest first. */
export interface InvoiceCursor {
  periodStart: Date;
  id: string;
}

export function encodeCursor(cursor: InvoiceCursor): string {
  return encodeKeyset({ at: cursor.periodStart, id: cursor.id });
}

export function decodeCursor(text: string): InvoiceCursor {
  const { at, id } = decodeKeyset(text, isUuid);
  return { periodStart: at, id };
}
