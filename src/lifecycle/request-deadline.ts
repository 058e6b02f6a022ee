import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, TimeoutError, catchError, throwError, timeout } from 'rxjs';
import { ErrorCode, TallyError } from '../common/errors/tally.error';
import { TallyConfig } from '../config/config';
import { TALLY_CONFIG } from '../config/config.module';

const NO_DEADLINE = Symbol('no-deadline');

/**
 * For a route whose answer is the end of a long piece of work asked for on purpose (the billing
 * rollup): it answers when the work is done, however long that takes.
 */
export const NoDeadline = () => SetMetadata(NO_DEADLINE, true);

export const deadlineExceeded = (timeoutMs?: number) =>
  new TallyError(
    ErrorCode.Unavailable,
    `the request did not finish within REQUEST_TIMEOUT_MS${timeoutMs === undefined ? '' : ` (${timeoutMs} ms)`}: the database is slow or unreachable. ` +
      'Retry with the same idempotencyKey: an event is counted at most once per key',
    {},
    { 'retry-after': '1' },
  );

/**
 * REQUEST_TIMEOUT_MS for every route: past it the answer is 503 unavailable, whatever the
 * handler is still waiting on. What it waits on ends by itself soon after (the pool's statement,
 * lock and connection timeouts, data-source-options.ts), and events still queued behind a
 * transaction when their request's deadline passes are not started (UsageEvent.deadline).
 */
@Injectable()
export class RequestDeadlineInterceptor implements NestInterceptor {
  constructor(
    @Inject(TALLY_CONFIG) private readonly config: TallyConfig,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.get<boolean>(NO_DEADLINE, context.getHandler())) return next.handle();
    const ms = this.config.requestTimeoutMs;
    return next.handle().pipe(
      timeout({ first: ms }),
      catchError((error) => throwError(() => (error instanceof TimeoutError ? deadlineExceeded(ms) : error))),
    );
  }
}
