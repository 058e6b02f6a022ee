import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { isOpsPath } from '../lifecycle/ops-paths';
import { REQUEST_ID_HEADER } from './request-id';
import { SECRET_QUERY_PARAMETERS } from './root-logger';

const SECRET_IN_URL = new RegExp(`([?&](?:${SECRET_QUERY_PARAMETERS.join('|')})=)[^&#]*`, 'gi');
const SECRET_NAMES = new Set(SECRET_QUERY_PARAMETERS);

/** The query with the values of secret-looking parameters (any case) replaced; the same object when there is none. */
function redactQuery(query: unknown): unknown {
  if (query === null || typeof query !== 'object') return query;
  const names = Object.keys(query);
  if (!names.some((name) => SECRET_NAMES.has(name.toLowerCase()))) return query;
  return Object.fromEntries(
    names.map((name) => [name, SECRET_NAMES.has(name.toLowerCase()) ? '[redacted]' : (query as Record<string, unknown>)[name]]),
  );
}

/** What the request line says about the request; pino redacts its credentials (root-logger.ts), the URL's here. */
function requestFields(request: FastifyRequest) {
  return {
    id: request.id,
    method: request.method,
    url: request.url.includes('?') ? request.url.replace(SECRET_IN_URL, '$1[redacted]') : request.url,
    query: redactQuery(request.query),
    headers: request.headers,
    remoteAddress: request.socket.remoteAddress,
    remotePort: request.socket.remotePort,
  };
}

/**
 * One JSON line per answered request (`msg: "request completed"`, with `reqId`, `req`, `res`,
 * `responseTime` in ms), written once the answer is out, by the root logger itself. Nothing is
 * built for a request whose line would not be written: no child logger, no copy of the request,
 * no redaction, unless the level lets the line through. Health probes and metric scrapes are not
 * logged: they come every few seconds and say nothing.
 *
 * Also echoes the request id (request-id.ts) in the X-Request-Id response header. Register it
 * before any hook that may answer early (the API key check), so that those answers carry it too.
 */
export function logRequests(fastify: FastifyInstance, root: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done) => {
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    if (root.isLevelEnabled(level) && !isOpsPath(request.url)) {
      root[level](
        {
          reqId: request.id,
          req: requestFields(request),
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });
}
