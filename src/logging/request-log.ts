import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { isOpsPath } from '../lifecycle/ops-paths';
import { REQUEST_ID_HEADER } from './request-id';

/** What the request line says about the request; pino redacts its credentials (root-logger.ts). */
function requestFields(request: FastifyRequest) {
  return {
    id: request.id,
    method: request.method,
    url: request.url,
    query: request.query,
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
