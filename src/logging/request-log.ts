import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'pino';
import { isOpsPath } from '../lifecycle/ops-paths';
import { REQUEST_ID_HEADER } from './request-id';
import { SECRET_QUERY_PARAMETERS } from './root-logger';

const SECRET_NAMES = new Set(SECRET_QUERY_PARAMETERS);

/** A parameter's name as the query parser reads it (`api%5Fkey` is `api_key`), to compare. */
function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** The URL with the values of secret-looking query parameters replaced, however their names are spelled. */
function redactQueryString(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const params = url
    .slice(start + 1)
    .split('&')
    .map((param) => {
      const eq = param.indexOf('=');
      return eq >= 0 && SECRET_NAMES.has(decodedName(param.slice(0, eq))) ? `${param.slice(0, eq)}=[redacted]` : param;
    });
  return `${url.slice(0, start + 1)}${params.join('&')}`;
}

/** The query with the values of secret-looking parameters (any case) replaced; the same object when there is none. */
function redactQuery(query: unknown): unknown {
  if (query === null || typeof query !== 'object') return query;
  const names = Object.keys(query);
  if (!names.some((name) => SECRET_NAMES.has(name.toLowerCase()))) return query;
  return Object.fromEntries(
    names.map((name) => [name, SECRET_NAMES.has(name.toLowerCase()) ? '[redacted]' : (query as Record<string, unknown>)[name]]),
  );
}

/**
 * A portal link's path segment is its credential (portal/page/portal-page.controller.ts): whoever
 * reads it opens the customer's page. Matched anywhere in the URL, whatever follows it, and in a
 * Referer a browser may send (the page asks browsers not to, with Referrer-Policy: no-referrer).
 */
const PORTAL_TOKEN = /(\/portal\/)[^/?#]+/gi;

/** The path of the portal page's route, however the request spelled it (`/%70ortal/…` routes there too). */
export const PORTAL_PAGE_ROUTE = '/portal/:token';

const redactUrl = (url: string, route?: string) => {
  let redacted = url;
  if (route === PORTAL_PAGE_ROUTE) redacted = `/portal/[redacted]${url.includes('?') ? url.slice(url.indexOf('?')) : ''}`;
  else if (/\/portal\//i.test(url)) redacted = url.replace(PORTAL_TOKEN, '$1[redacted]');
  return redactQueryString(redacted);
};

/** The headers, with a Referer that names a portal link redacted; the same object when there is none. */
function redactHeaders(headers: FastifyRequest['headers']): FastifyRequest['headers'] {
  const referer = headers.referer;
  if (typeof referer !== 'string' || !/\/portal\//i.test(referer)) return headers;
  return { ...headers, referer: redactUrl(referer) };
}

/** What the request line says about the request; pino redacts its credentials (root-logger.ts), the URL's here. */
function requestFields(request: FastifyRequest) {
  return {
    id: request.id,
    method: request.method,
    url: redactUrl(request.url, request.routeOptions.url),
    query: redactQuery(request.query),
    headers: redactHeaders(request.headers),
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
