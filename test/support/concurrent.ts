import { Answer, send } from './http';

/**
 * Fires every request at once and returns the answers in the order of `bodies`: all of them are on
 * the wire, each on a connection of its own, before the first answer comes back. `baseUrls` are
 * used in turn, so with two instances requests alternate.
 */
export function burst(
  baseUrls: string | string[],
  path: string,
  bodies: unknown[],
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer[]> {
  const urls = Array.isArray(baseUrls) ? baseUrls : [baseUrls];
  return Promise.all(bodies.map((body, i) => send(urls[i % urls.length], options.method ?? 'POST', path, body, options)));
}

/** Runs `work` over `items` with at most `concurrency` in flight; results in the order of `items`. */
export async function inPool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
