/**
 * The request whose code is running right now, for code that is handed the request and logs
 * synchronously (the exception filter, request-exception.filter.ts): the lines it writes carry
 * `reqId`. Deliberately not AsyncLocalStorage, which would follow a request across its awaits:
 * its promise hooks run on every promise of every request, and measured here they cost a fifth
 * to a quarter of the throughput of GET /health/live and POST /v1/usage (README, "Logs").
 */
let current: string | undefined;

/** The id of the request in scope, if any. */
export const requestInScope = (): string | undefined => current;

/** Runs `fn` with request `id` in scope; only what `fn` does synchronously sees it. */
export function inRequestScope<T>(id: string, fn: () => T): T {
  const outer = current;
  current = id;
  try {
    return fn();
  } finally {
    current = outer;
  }
}
