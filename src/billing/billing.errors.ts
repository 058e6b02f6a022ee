import { ErrorCode, TallyError } from '../common/errors/tally.error';

/** 409: an ended subscription has no running period, so no upcoming invoice (its last one is the rollup's). */
export const subscriptionEnded = (id: string, endsAt: Date) =>
  new TallyError(ErrorCode.Conflict, `subscription '${id}' ended at ${endsAt.toISOString()}; it has no upcoming invoice`, {
    endsAt: endsAt.toISOString(),
  });
