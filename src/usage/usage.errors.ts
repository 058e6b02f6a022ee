import { ErrorCode, TallyError } from '../common/errors/tally.error';
import { CountResult } from './strategies/usage-strategy';
import { UsageEvent } from './usage-event';

export const limitExceeded = (feature: string, used: string, limit: string, quantity: string) =>
  new TallyError(
    ErrorCode.LimitExceeded,
    `'${feature}' would pass its limit: ${used} used + ${quantity} requested > ${limit}; nothing was counted`,
    { feature, used: Number(used), limit: Number(limit), remaining: Number(BigInt(limit) - BigInt(used)) },
  );

export const periodClosed = (reason: string, details: Record<string, unknown> = {}) =>
  new TallyError(ErrorCode.PeriodClosed, reason, details);

/** The period (of a counter) is invoiced: nothing counts in it any more. */
export const periodInvoiced = (period: { periodStart: Date; periodEnd: Date }) =>
  periodClosed(`the period starting ${period.periodStart.toISOString()} is closed (invoiced)`, {
    periodStart: period.periodStart.toISOString(),
    periodEnd: period.periodEnd.toISOString(),
  });

export const contention = (feature: string) =>
  new TallyError(ErrorCode.Contention, `counter for '${feature}' is contended; nothing was counted, retry later`, {}, { 'retry-after': '1' });

export const unavailable = () =>
  new TallyError(ErrorCode.Unavailable, 'usage cannot be recorded right now; nothing was counted, retry later', {}, {
    'retry-after': '1',
  });

/** The contract's error for a strategy's refusal: the one place a reason becomes a status and a body. */
export function refusalError(event: UsageEvent, refusal: Extract<CountResult, { kind: 'refused' }>): TallyError {
  switch (refusal.reason) {
    case 'limit':
      return limitExceeded(event.featureKey, refusal.used, refusal.limit ?? '0', event.quantity);
    case 'ended':
      return periodClosed(`the subscription ended before occurredAt ${event.occurredAt.toISOString()}`, {
        periodStart: event.periodStart.toISOString(),
        periodEnd: event.periodEnd.toISOString(),
      });
    case 'closed':
      return periodInvoiced(event);
  }
}
