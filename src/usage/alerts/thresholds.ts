import { Alert } from '../../catalog/plans/alerts';

/** The count at which an alert is reached: `units`, or the percent of the limit (as a fraction of units). */
function reachedAt(alert: Alert, limit: bigint | null): number | undefined {
  if ('units' in alert) return alert.units;
  return limit === null ? undefined : (Number(limit) * alert.percent) / 100;
}

/**
 * Whether counting from `before` to `after` reaches some alert that `before` had not: the cheap
 * test that spares a round trip when nothing is crossed. The database decides what exactly was
 * crossed, and whether it was announced already (tally_announce_crossings).
 */
export function crossesAny(alerts: readonly Alert[], limit: bigint | null, before: bigint, after: bigint): boolean {
  return alerts.some((alert) => {
    const at = reachedAt(alert, limit);
    return at !== undefined && Number(before) < at && Number(after) >= at;
  });
}
