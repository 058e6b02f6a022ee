import { ErrorCode, TallyError } from '../common/errors/tally.error';

export const limitExceeded = (feature: string, used: string, limit: string, quantity: string) =>
  new TallyError(
    ErrorCode.LimitExceeded,
    `'${feature}' would pass its limit: ${used} used + ${quantity} requested > ${limit}; nothing was counted`,
    { feature, used: Number(used), limit: Number(limit), remaining: Number(BigInt(limit) - BigInt(used)) },
  );

export const periodClosed = (reason: string, details: Record<string, unknown> = {}) =>
  new TallyError(ErrorCode.PeriodClosed, reason, details);
