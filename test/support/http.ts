/**
 * The one HTTP client of the tests for what supertest cannot do: real concurrency (a burst is on
 * the wire at once) and servers in child processes, which may die with requests in flight. It is
 * node's global fetch (undici: a connection per request in flight, kept alive for the next).
 * A request that gets no HTTP answer (connection refused or reset, the process gone, a timeout)
 * is status 0, "no answer", with the reason in `error`: never an exception.
 */
export interface Answer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: any;
  /** Why there was no answer (status 0). */
  error?: string;
}

export async function send(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  options: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (Prometheus text, say): keep the text.
    }
    return { status: res.status, headers: Object.fromEntries(res.headers), body: parsed };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, headers: {}, body: undefined, error: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

export const postJson = (baseUrl: string, path: string, body: unknown, timeoutMs?: number) =>
  send(baseUrl, 'POST', path, body, { timeoutMs });

/** How many answers had each status: `{ 201: 100, 429: 100 }`. */
export const statusCounts = (answers: { status: number }[]) =>
  answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});
