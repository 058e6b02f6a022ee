/** Every error code of the public contract. The exception filter maps each to its HTTP status. */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  NotFound = 'not_found',
  AlreadyExists = 'already_exists',
  VersionMismatch = 'version_mismatch',
  PreconditionRequired = 'precondition_required',
  LimitExceeded = 'limit_exceeded',
  PeriodClosed = 'period_closed',
  ReservationClosed = 'reservation_closed',
  Conflict = 'conflict',
  Contention = 'contention',
  Unavailable = 'unavailable',
  Unauthorized = 'unauthorized',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  MethodNotAllowed = 'method_not_allowed',
  Internal = 'internal_error',
}

/**
 * A failure the client can act on. `details` are merged into the error body next to
 * statusCode, code and message (e.g. `used` and `limit` of a limit_exceeded).
 */
export class TallyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'TallyError';
  }
}

export const notFound = (what: string) => new TallyError(ErrorCode.NotFound, `${what} not found`);
