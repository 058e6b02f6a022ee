import { send } from './http';

/** A query string of the defined values of `query`. */
export const queryString = (query: Record<string, string | number | undefined>) =>
  new URLSearchParams(
    Object.entries(query)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]): [string, string] => [name, String(value)]),
  ).toString();

/**
 * Every page of a list, `limit` items at a time, in order. Before each page, `insert` (if given)
 * is fired `perPage` times without waiting: the page is read while those requests are on the wire,
 * and the walk returns once they have all been answered too. Fails on any page that is not 200.
 */
export async function walkPages(
  baseUrl: string,
  path: string,
  query: Record<string, string | number | undefined>,
  options: { limit: number; insert?: (n: number) => Promise<unknown>; perPage?: number },
): Promise<{ items: any[]; pages: number; inserted: number }> {
  const items: any[] = [];
  const inserts: Promise<unknown>[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    for (let i = 0; options.insert && i < (options.perPage ?? 3); i++) inserts.push(options.insert(inserts.length));
    const page = await send(baseUrl, 'GET', `${path}?${queryString({ ...query, limit: options.limit, cursor })}`);
    if (page.status !== 200) throw new Error(`${path} page ${pages + 1}: ${page.status} ${JSON.stringify(page.body)}`);
    expect(page.body.data.length).toBeLessThanOrEqual(options.limit);
    items.push(...page.body.data);
    cursor = page.body.nextCursor ?? undefined;
    pages++;
  } while (cursor);
  await Promise.all(inserts);
  return { items, pages, inserted: inserts.length };
}

/**
 * The walk saw each of `expected` exactly once and nothing twice. Items created during the walk
 * may or may not be among the rest, as they sort before or after the cursor.
 */
export function expectEachOnce(items: any[], expected: string[], idOf: (item: any) => string = (item) => item.id): void {
  const ids = items.map(idOf);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  expect(twice).toEqual([]);
  const seen = new Set(ids);
  expect(expected.filter((id) => !seen.has(id))).toEqual([]);
}

/** Base64url of a JSON value: a cursor as a client could make one up. */
export const forgedCursor = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
