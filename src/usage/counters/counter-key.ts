/** One counter: a subscription's use of one feature in one billing period (usage_counters' primary key). */
export interface CounterRef {
  subscriptionId: string;
  featureId: string;
  periodStart: Date;
}

/** The counter's identity as a map key, for in-memory state and queues. */
export const counterKey = (c: CounterRef) => `${c.subscriptionId}/${c.featureId}/${c.periodStart.getTime()}`;
