/**
 * Health probes and metric scrapes: answered during a drain, left out of the request log and of
 * the requests a drain waits for. Matched on the raw URL, before routing.
 */
export function isOpsPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0];
  return path === '/metrics' || path === '/health/live' || path === '/health/ready';
}
