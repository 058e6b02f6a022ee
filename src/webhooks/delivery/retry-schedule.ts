/** How far each delay is varied either way, so that retries of many deliveries do not arrive together. */
const JITTER = 0.1;

/**
 * The delay after failed attempt `attempt` (1-based) before the next one, from WEBHOOK_RETRY_SCHEDULE
 * (one delay per retry), ±10%; undefined when the schedule is used up and the delivery is failed.
 */
export function retryDelayMs(schedule: readonly number[], attempt: number, random = Math.random): number | undefined {
  const base = schedule[attempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (1 + JITTER * (2 * random() - 1)));
}
