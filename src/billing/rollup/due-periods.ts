import { Interval } from '../../catalog/subscriptions/billing-period';
import { BillingSegment, PlanPhase, segmentsAfter } from '../../catalog/subscriptions/plan-phases';

export interface BillableSubscription {
  startAt: Date;
  endsAt: Date | null;
  interval: Interval;
  /** Which plan governs from when on, oldest first; the first phase starts at startAt. */
  phases: readonly PlanPhase[];
  /** Start of the latest invoiced period, or null before the first invoice. */
  lastInvoicedStart: Date | null;
}

/**
 * A period to invoice: a billing segment (an anchor period, or the part of it one plan governed
 * when a change "now" cut it), under the plan `planId`.
 */
export interface DuePeriod extends BillingSegment {
  /** Where billing stops: the segment's end, or the subscription's end inside it (a short last period). */
  end: Date;
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
  for (const segment of segmentsAfter(sub.startAt, sub.interval, sub.phases, sub.lastInvoicedStart)) {
    if (sub.endsAt && segment.start >= sub.endsAt) return;
    const end = sub.endsAt && sub.endsAt < segment.end ? sub.endsAt : segment.end;
    if (end.getTime() > closeBefore) return;
    yield { ...segment, end };
  }
}
