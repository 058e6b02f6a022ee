/**
 * Every event type of the contract. The usage and plan-change types are written by the features
 * that cause them; listing them here lets endpoints subscribe to them already.
 */
export const EVENT_TYPES = [
  'invoice.created',
  'invoice.voided',
  'subscription.created',
  'subscription.cancelled',
  'subscription.plan_changed',
  'usage.threshold_crossed',
  'usage.limit_refused',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
