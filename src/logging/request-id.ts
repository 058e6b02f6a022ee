import { randomUUID } from 'node:crypto';
import { IncomingHttpHeaders } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller (or the proxy in front) may send as its request id: short, no spaces or control characters. */
const ACCEPTABLE = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/**
 * Fastify's genReqId: the caller's X-Request-Id when it is a sane one, else a new UUID. It is
 * `request.id`, which request-log.ts echoes in the answer and writes on the request's line.
 */
export function requestId(req: { headers: IncomingHttpHeaders }): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
}
