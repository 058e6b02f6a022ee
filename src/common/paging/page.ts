import { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { KeysetCursor } from './keyset-cursor';
import { DEFAULT_PAGE_SIZE, PageQuery } from './page.query';

/** One page of a list: `{ data, nextCursor }`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Reads one page of a keyset list: decodes the cursor (400 naming `cursor` when it is not one of
 * this list's), asks `read` for one row more than the page, which tells whether there is a next
 * page without a count(*), and makes the next cursor from the page's last row.
 */
export async function readPage<K extends string, R, V>(
  query: PageQuery,
  cursor: KeysetCursor<K>,
  read: (after: Record<K, string> | undefined, limit: number) => Promise<R[]>,
  positionOf: (row: R) => Record<K, string>,
  view: (row: R) => V,
): Promise<Page<V>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = query.cursor === undefined ? undefined : cursor.decode(query.cursor);
  const rows = await read(after, limit + 1);
  const page = rows.slice(0, limit);
  return {
    data: page.map(view),
    nextCursor: rows.length > limit ? cursor.encode(positionOf(page[page.length - 1])) : null,
  };
}

/**
 * The OpenAPI class of a page of `item`: `class FeaturePageResponse extends PageOf(FeatureResponse) {}`
 * gives the document a schema named after the subclass, its data items typed.
 */
export function PageOf<T>(item: Type<T>): Type<Page<T>> {
  class PageResponse implements Page<T> {
    @ApiProperty({ type: () => [item] })
    data: T[];

    @ApiProperty({ type: 'string', nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
    nextCursor: string | null;
  }
  return PageResponse;
}
