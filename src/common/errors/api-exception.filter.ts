import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { ErrorCode, TallyError } from './tally.error';
import { ErrorBodyResponse } from './error-body.response';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable';

export function statusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.ValidationFailed:
      return HttpStatus.BAD_REQUEST;
    case ErrorCode.Unauthorized:
      return HttpStatus.UNAUTHORIZED;
    case ErrorCode.NotFound:
      return HttpStatus.NOT_FOUND;
    case ErrorCode.MethodNotAllowed:
      return HttpStatus.METHOD_NOT_ALLOWED;
    case ErrorCode.AlreadyExists:
    case ErrorCode.PeriodClosed:
    case ErrorCode.ReservationClosed:
    case ErrorCode.Conflict:
      return HttpStatus.CONFLICT;
    case ErrorCode.VersionMismatch:
      return HttpStatus.PRECONDITION_FAILED;
    case ErrorCode.PayloadTooLarge:
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case ErrorCode.UnsupportedMediaType:
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case ErrorCode.PreconditionRequired:
      return 428;
    case ErrorCode.LimitExceeded:
      return HttpStatus.TOO_MANY_REQUESTS;
    case ErrorCode.Contention:
    case ErrorCode.Unavailable:
      return HttpStatus.SERVICE_UNAVAILABLE;
    case ErrorCode.Internal:
      return HttpStatus.INTERNAL_SERVER_ERROR;
  }
}

/** Status codes Nest or Fastify raise themselves (routing, body parsing), as contract codes. */
function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.ValidationFailed;
    case 401:
      return ErrorCode.Unauthorized;
    case 404:
      return ErrorCode.NotFound;
    case 405:
      return ErrorCode.MethodNotAllowed;
    case 413:
      return ErrorCode.PayloadTooLarge;
    case 415:
      return ErrorCode.UnsupportedMediaType;
    case 503:
      return ErrorCode.Unavailable;
    default:
      return status < 500 ? ErrorCode.ValidationFailed : ErrorCode.Internal;
  }
}

/** character_not_in_repertoire (a NUL in text), untranslatable_character. */
const UNSTORABLE_TEXT_PG_CODES = new Set(['22021', '22P05']);

/**
 * The one place an exception becomes an HTTP answer: `{ statusCode, code, message, ...details }`.
 * Anything unexpected is logged and answered with a plain 500, never a stack trace.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, headers } = this.toBody(exception);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    reply.status(body.statusCode).send(body);
  }

  toBody(exception: unknown): { body: ErrorBodyResponse; headers: Record<string, string> } {
    if (exception instanceof TallyError) {
      const body = { statusCode: statusOf(exception.code), code: exception.code, message: exception.message };
      return { body: { ...body, ...exception.details }, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const raw = typeof response === 'string' ? response : (response as any).message;
      const message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? exception.message);
      return { body: { statusCode: status, code: codeOfStatus(status), message }, headers: {} };
    }
    // Fastify's own errors (malformed JSON, wrong content type, body too large) carry a statusCode.
    const status = (exception as any)?.statusCode;
    // Only the static files of /docs refuse with 403 (a `..` or a dotfile in the path): there is no such document.
    if (status === 403) {
      return { body: { statusCode: 404, code: ErrorCode.NotFound, message: 'no such path' }, headers: {} };
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message =
        status === 415
          ? 'the request body must be JSON, sent with Content-Type: application/json'
          : String((exception as any).message ?? 'bad request');
      return { body: { statusCode: status, code: codeOfStatus(status), message }, headers: {} };
    }
    // Text PostgreSQL cannot store (a NUL character) only ever comes from the client; the validation
    // pipe names the field, this catches any input that reaches a query some other way.
    if (UNSTORABLE_TEXT_PG_CODES.has((exception as any)?.driverError?.code ?? (exception as any)?.code)) {
      const message = 'text must not contain NUL (\\u0000) characters';
      return { body: { statusCode: 400, code: ErrorCode.ValidationFailed, message }, headers: {} };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`database unavailable: ${(exception as Error).message}`);
      return this.toBody(databaseUnavailable());
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { body: { statusCode: 500, code: ErrorCode.Internal, message: 'internal error' }, headers: {} };
  }
}
