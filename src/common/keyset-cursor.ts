import { invalidField } from './validation';

/** Where a page sorted newest first stopped: the (timestamp, id) of its last row. */
export interface Keyset {
  at: Date;
  id: string;
}

/** Opaque to clients: base64url of "<ISO timestamp>|<id>". */
export function encodeKeyset(cursor: Keyset): string {
  return Buffer.from(`${cursor.at.toISOString()}|${cursor.id}`, 'utf8').toString('base64url');
}

/** The keyset in `text`, or 400 naming `cursor` when it is not one this service made (`isId` judges the id). */
export function decodeKeyset(text: string, isId: (id: string | undefined) => boolean): Keyset {
  const [iso, id, extra] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const at = new Date(iso);
  if (extra !== undefined || !/^\d{4}-\d{2}-\d{2}T/.test(iso ?? '') || Number.isNaN(at.getTime()) || !isId(id)) {
    throw invalidField('cursor', 'cursor must be a nextCursor returned by this endpoint');
  }
  return { at, id: id! };
}

/**
 * A page of up to `limit` rows, newest first, from `rows` fetched with one more than the page: that
 * one tells whether there is a next page without a count(*).
 */
export function keysetPage<R, V>(rows: R[], limit: number, toView: (row: R) => V, keyset: (row: R) => Keyset) {
  const shown = rows.slice(0, limit);
  return {
    data: shown.map(toView),
    nextCursor: rows.length > limit ? encodeKeyset(keyset(shown[shown.length - 1])) : null,
  };
}
