/**
 * A subscription's status at an instant: `ended` once its end has come, `cancelled` while a
 * cancellation's end is still ahead, `active` otherwise. The list filter (subscriptions.repository.ts)
 * says the same in SQL.
 */
export type SubscriptionStatus = 'active' | 'cancelled' | 'ended';
export const SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = ['active', 'cancelled', 'ended'];

export function statusAt(subscription: { endsAt: Date | null; cancelledAt: Date | null }, now: Date): SubscriptionStatus {
  if (subscription.endsAt !== null && now >= subscription.endsAt) return 'ended';
  return subscription.cancelledAt ? 'cancelled' : 'active';
}
