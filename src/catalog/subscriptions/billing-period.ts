export type Interval = 'day' | 'week' | 'month' | 'year';
export const INTERVALS: readonly Interval[] = ['day', 'week', 'month', 'year'];

export interface Period {
  /** Which period of the subscription, counting from 0 at its start. */
  index: number;
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

/** Date.UTC, except that years 0–99 are those years: Date.UTC(1, 0, 1) would be 1901. */
function utc(year: number, month: number, day: number): number {
  return new Date(0).setUTCFullYear(year, month, day);
}

function daysInMonth(year: number, month: number): number {
  return new Date(utc(year, month + 1, 0)).getUTCDate();
}

/**
 * Start of period `index` of a subscription anchored at `anchor`. Months keep the anchor's day
 * of month, clamped to the month's last day and never carried over: an anchor of Jan 31 gives
 * Feb 28 (29), Mar 31, Apr 30 — the way Stripe's billing cycle anchor behaves. All in UTC.
 */
export function periodStart(anchor: Date, interval: Interval, index: number): Date {
  switch (interval) {
    case 'day':
      return new Date(anchor.getTime() + index * DAY_MS);
    case 'week':
      return new Date(anchor.getTime() + index * 7 * DAY_MS);
    case 'month':
    case 'year': {
      const months = interval === 'year' ? index * 12 : index;
      const total = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
      const year = Math.floor(total / 12);
      const month = total - year * 12;
      const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
      const timeOfDay = anchor.getTime() - utc(anchor.getUTCFullYear(), anchor.getUTCMonth(), anchor.getUTCDate());
      return new Date(utc(year, month, day) + timeOfDay);
    }
  }
}

export function periodByIndex(anchor: Date, interval: Interval, index: number): Period {
  return { index, start: periodStart(anchor, interval, index), end: periodStart(anchor, interval, index + 1) };
}

/** The period that contains `at`, or undefined when `at` is before the anchor. */
export function periodAt(anchor: Date, interval: Interval, at: Date): Period | undefined {
  const elapsed = at.getTime() - anchor.getTime();
  if (elapsed < 0) return undefined;
  let index: number;
  switch (interval) {
    case 'day':
      index = Math.floor(elapsed / DAY_MS);
      break;
    case 'week':
      index = Math.floor(elapsed / (7 * DAY_MS));
      break;
    case 'month':
    case 'year': {
      const months =
        (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
      index = interval === 'year' ? Math.floor(months / 12) : months;
      break;
    }
  }
  // The estimate is off by at most one where the clamped day or the time of day falls across `at`.
  while (index > 0 && periodStart(anchor, interval, index).getTime() > at.getTime()) index--;
  while (periodStart(anchor, interval, index + 1).getTime() <= at.getTime()) index++;
  return periodByIndex(anchor, interval, index);
}
