import { ErrorCode, TallyError } from '../../common/errors/tally.error';
import { ReservationStatus } from './reservations.repository';

export const reservationClosed = (id: string, status: ReservationStatus) =>
  new TallyError(ErrorCode.ReservationClosed, `reservation '${id}' is ${status}; nothing changed`, { status });

/** Not a counting refusal: the feature's limit leaves no room for the reservation. */
export const reservationExceedsLimit = (feature: string, figures: { used: bigint; held: bigint; limit: bigint }, quantity: bigint) =>
  new TallyError(
    ErrorCode.LimitExceeded,
    `'${feature}' has no room for ${quantity}: ${figures.used} used + ${figures.held} held + ${quantity} requested > ${figures.limit}; nothing was held`,
    {
      feature,
      used: Number(figures.used),
      held: Number(figures.held),
      limit: Number(figures.limit),
      remaining: Number(figures.limit - figures.used - figures.held),
    },
  );
