/**
 * The load generator of `npm run bench`, run as a child process so that it does not share an
 * event loop with the bench itself: autocannon, driven through its API rather than its CLI for
 * one reason: latency precision.
 *
 * autocannon records latencies in an HDR histogram of whole milliseconds, so its p50 of a 1.4 ms
 * request reads "1" — too coarse for an aim like "p50 ≤ 1.5 ms". Its 'response' event carries the
 * exact duration (from process.hrtime), which is kept here for every 2xx answer (autocannon's own
 * percentiles also count only 2xx) and turned into percentiles at the end.
 *
 * Input: one JSON argument (LoadOptions). Output: one JSON line on stdout (LoadResult). When the
 * parent is connected by IPC, a `{ started: true }` message is sent just before the first request,
 * so that the parent can take a reading (e.g. a ledger count) at the start of the window.
 */

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  connections: number;
  seconds: number;
  /** Per-request timeout in seconds (autocannon's default is 10). */
  timeoutSeconds?: number;
}

export interface LoadResult {
  /** 2xx answers completed within the window. */
  ok: number;
  non2xx: number;
  /** Count per status code, e.g. { "201": 1234, "503": 1 }. */
  statusCodes: Record<string, number>;
  /** Requests that got no answer: socket errors and timeouts (autocannon counts a timeout in both). */
  errors: number;
  timeouts: number;
  /** The window autocannon measured, in seconds. */
  seconds: number;
  /** Latency of 2xx answers, in milliseconds, with sub-millisecond precision; null without any. */
  p50: number | null;
  p99: number | null;
}

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void): void;
}

type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

async function main(): Promise<void> {
  const options: LoadOptions = JSON.parse(process.argv[2]);
  // autocannon ships no type declarations; the few fields used are declared above.
  const autocannon = require('autocannon') as Autocannon;
  const latencies: number[] = [];

  process.send?.({ started: true });
  const instance = autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.body ? { 'content-type': 'application/json' } : {},
    body: options.body,
    connections: options.connections,
    duration: options.seconds,
    timeout: options.timeoutSeconds ?? 10,
  });
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
  });
  const r = await instance;

  const sorted = Float64Array.from(latencies).sort();
  const result: LoadResult = {
    ok: r['2xx'],
    non2xx: r.non2xx,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count])),
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.duration,
    p50: sorted.length ? percentile(sorted, 50) : null,
    p99: sorted.length ? percentile(sorted, 99) : null,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // The IPC channel would keep the process alive.
  process.disconnect?.();
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
