import { ErrorCode, TallyError } from '../common/errors/tally.error';

/** The catalog's refusals, each with the code the contract gives it (the filter maps codes to statuses). */

/** 409: the unique index on the key decided between two creations of one key. */
export const alreadyExists = (what: string) => new TallyError(ErrorCode.AlreadyExists, `${what} already exists`);

/** 428: a plan edit names the version it edits. */
export const planVersionRequired = () =>
  new TallyError(ErrorCode.PreconditionRequired, 'If-Match with the plan version (its ETag) is required');

/** 412: the plan moved on since the version the edit names. */
export const planVersionMismatch = (key: string, current: number, ifMatch: string) =>
  new TallyError(ErrorCode.VersionMismatch, `plan '${key}' is at version ${current}, not ${ifMatch}`, { currentVersion: current });

/** 404 naming the charge whose feature does not exist. */
export const chargeFeatureNotFound = (index: number, key: string) =>
  new TallyError(ErrorCode.NotFound, `charges[${index}].feature: feature '${key}' not found`, { field: `charges[${index}].feature` });

/** 409: a subscription is cancelled once; its end never moves. */
export const alreadyCancelled = (id: string, endsAt: Date | null, cancelledAt: Date | null) =>
  new TallyError(ErrorCode.Conflict, `subscription '${id}' is already cancelled; it ends at ${endsAt?.toISOString()}`, {
    endsAt: endsAt?.toISOString() ?? null,
    cancelledAt: cancelledAt?.toISOString() ?? null,
  });

/** 409: a plan change the subscription's state does not allow; `reason` says which rule. */
export const planChangeRefused = (id: string, reason: string, details: Record<string, unknown> = {}) =>
  new TallyError(ErrorCode.Conflict, `subscription '${id}': ${reason}`, details);
