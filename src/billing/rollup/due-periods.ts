import { Interval, periodAt, periodByIndex } from '../../catalog/subscriptions/billing-period';

export interface BillableSubscription {
  startAt: Date;
  endsAt: Date | null;
  interval: Interval;
  /** Start of the latest invoiced period, or null before the first invoice. */
  lastInvoicedStart: Date | null;
}

export interface DuePeriod {
  start: Date;
  /** Where billing stops: the period's end, or the subscription's end inside it (a short last period). */
  end: Date;
  /** The period's full end, as the usage counters record it; a short period is prorated against it. */
  fullEnd: Date;
}

/**
 * The periods of a subscription to invoice as of `asOf`, oldest first: each one after the last
 * invoiced, that has ended at least `graceMs` before `asOf`. A subscription with an end has a last
 * period ending there and none after it. Lazy, so that a subscription years behind on daily periods
 * costs no memory.
 *
 * Invoices are only ever made oldest first, so "after the last invoiced" is the same as "without an
 * invoice" and needs only the latest start, not every invoice of the subscription.
 */
export function* duePeriods(sub: BillableSubscription, asOf: Date, graceMs: number): Generator<DuePeriod> {
  const closeBefore = asOf.getTime() - graceMs;
  let index = sub.lastInvoicedStart ? periodAt(sub.startAt, sub.interval, sub.lastInvoicedStart)!.index + 1 : 0;
  for (;;) {
    const period = periodByIndex(sub.startAt, sub.interval, index);
    if (sub.endsAt && period.start >= sub.endsAt) return;
    const end = sub.endsAt && sub.endsAt < period.end ? sub.endsAt : period.end;
    if (end.getTime() > closeBefore) return;
    yield { start: period.start, end, fullEnd: period.end };
    index++;
  }
}
