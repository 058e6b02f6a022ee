import { Interval, Period, periodAt, periodByIndex } from './billing-period';

/** From `from` on (until the next phase), `planId` governs the subscription. */
export interface PlanPhase {
  planId: string;
  from: Date;
}

/**
 * A billing period: the anchor period, or the part of it one plan governs when a change "now"
 * cut it. Counters, invoices and usage answers all go by these.
 */
export interface BillingSegment {
  planId: string;
  start: Date;
  /** The next phase's start inside the anchor period, else the anchor period's end (not cut by a cancellation). */
  end: Date;
  /** The anchor period the segment is part of: a part pays the base fee for its share of it. */
  fullStart: Date;
  fullEnd: Date;
}

/**
 * The part of `period` that the phase in effect at `at` governs. `phases` are oldest first and
 * the first one starts at the anchor.
 */
function segmentOf(period: Period, phases: readonly PlanPhase[], at: Date): BillingSegment {
  let i = phases.length - 1;
  while (i > 0 && phases[i].from > at) i--;
  const next = phases[i + 1];
  return {
    planId: phases[i].planId,
    start: phases[i].from > period.start ? phases[i].from : period.start,
    end: next && next.from < period.end ? next.from : period.end,
    fullStart: period.start,
    fullEnd: period.end,
  };
}

/** The segment containing `at`, or undefined before the anchor. */
export function segmentAt(anchor: Date, interval: Interval, phases: readonly PlanPhase[], at: Date): BillingSegment | undefined {
  const period = periodAt(anchor, interval, at);
  return period && segmentOf(period, phases, at);
}

/**
 * Every segment that starts after `after` (from the first, when null), oldest first, without end:
 * the caller stops. Lazy, so that years of daily periods cost no memory.
 */
export function* segmentsAfter(
  anchor: Date,
  interval: Interval,
  phases: readonly PlanPhase[],
  after: Date | null,
): Generator<BillingSegment> {
  let index = after ? periodAt(anchor, interval, after)!.index : 0;
  for (;;) {
    const period = periodByIndex(anchor, interval, index++);
    for (let at = period.start; at < period.end; ) {
      const segment = segmentOf(period, phases, at);
      if (!after || segment.start > after) yield segment;
      at = segment.end;
    }
  }
}
