import { RouteConfig } from '@nestjs/platform-fastify';
import { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, TallyError } from '../common/errors/tally.error';

/**
 * For a route that answers its deadline itself (the usage batch, event by event) or whose answer
 * is the end of a long piece of work asked for on purpose (the billing rollup).
 */
export const NoDeadline = () => RouteConfig({ noDeadline: true });

export const deadlineExceeded = (timeoutMs?: number) =>
  new TallyError(
    ErrorCode.Unavailable,
    `the request did not finish within REQUEST_TIMEOUT_MS${timeoutMs === undefined ? '' : ` (${timeoutMs} ms)`}: the database is slow or unreachable. ` +
      'Retry with the same idempotencyKey: an event is counted at most once per key',
    {},
    { 'retry-after': '1' },
  );

const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();

/**
 * REQUEST_TIMEOUT_MS for every route: past it the answer is 503 unavailable, whatever the
 * handler is still waiting on, and its own answer later goes nowhere (a sent reply takes no
 * second one). What it waits on ends by itself soon after (the pool's statement, lock and
 * connection timeouts, data-source-options.ts), and events still queued behind a transaction when
 * their request's deadline passes are not started (UsageEvent.deadline).
 *
 * A Fastify hook rather than a Nest interceptor: Nest binds every interceptor call to an
 * AsyncResource, which cost GET /health/live 72% of its throughput (15,279 against 55,632
 * requests/s at 64 connections, the same build without it, measured in the same minutes).
 */
export function answerPastDeadline(fastify: FastifyInstance, timeoutMs: number): void {
  const error = deadlineExceeded(timeoutMs);
  const body = JSON.stringify({ statusCode: 503, code: error.code, message: error.message });
  fastify.addHook('onRequest', (request, reply, done) => {
    if ((request.routeOptions.config as { noDeadline?: boolean } | undefined)?.noDeadline) return done();
    const timer = setTimeout(() => {
      // A streamed answer (the CSV export) that has begun is under way, not late.
      if (reply.sent || reply.raw.headersSent) return;
      void reply.code(503).header('retry-after', '1').type('application/json; charset=utf-8').send(body);
    }, timeoutMs);
    timers.set(request, timer);
    done();
  });
  const clear = (request: FastifyRequest, _reply: unknown, done: () => void) => {
    clearTimeout(timers.get(request));
    done();
  };
  fastify.addHook('onResponse', clear);
  fastify.addHook('onRequestAbort', (request, done) => clear(request, undefined, done));
}
