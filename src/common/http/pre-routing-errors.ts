import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IncomingMessage, STATUS_CODES, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { ErrorCode } from '../errors/tally.error';

/**
 * The answers given before a request reaches a route — a request Node's HTTP parser refuses, a
 * URL the router cannot decode, a missing Host, an unknown Expect — in the contract's error body
 * like every other answer, instead of Fastify's or Node's own shapes (or an empty body).
 */

function errorBody(statusCode: number, message: string, code = ErrorCode.ValidationFailed): string {
  return JSON.stringify({ statusCode, code, message });
}

/** What Node's HTTP parser said, in words a client can act on. */
function parserProblem(error: NodeJS.ErrnoException): { status: number; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'the request headers are too large (16 KB at most)' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'the request was not received in time' };
    case 'HPE_INVALID_METHOD':
      return { status: 400, message: 'malformed request: unknown HTTP method' };
    case 'HPE_INVALID_URL':
      return { status: 400, message: 'malformed request: the URL must be printable ASCII (percent-encode the rest)' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'malformed request: a bad, repeated, or chunked-and-sized Content-Length' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { status: 400, message: 'malformed request: Transfer-Encoding must be chunked, and not sent with Content-Length' };
    case 'HPE_INVALID_HEADER_TOKEN':
      return { status: 400, message: 'malformed request: a header name or value has a character HTTP does not allow' };
    case 'HPE_INVALID_VERSION':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return { status: 400, message: 'malformed request: lines must end with CRLF after an HTTP/1.x request line' };
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, message: 'malformed request: a bad chunk size in a chunked body' };
    default:
      return { status: 400, message: `malformed request (${error.code ?? 'unparseable HTTP'})` };
  }
}

/** Fastify's clientErrorHandler: the connection is answered once, then closed, as Node does. */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, message } = parserProblem(error);
    const body = errorBody(status, message);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Fastify's frameworkErrors: a path that is not valid percent-encoding, or a path parameter too long for the router. */
export function frameworkErrors(error: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(414).type('application/json; charset=utf-8').send(errorBody(414, 'a path segment is too long (100 characters at most)'));
    return;
  }
  const message = error.code === 'FST_ERR_BAD_URL' ? 'the path is not valid percent-encoded UTF-8' : error.message;
  void reply.code(400).type('application/json; charset=utf-8').send(errorBody(400, message));
}

/** `http` server options for Fastify: a missing Host is answered by answerWithoutHost, in the contract's body. */
export const HTTP_SERVER_OPTIONS = { requireHostHeader: false };

/**
 * The answers Node would give itself without a body: a request without Host (HTTP/1.1 requires
 * one) and an Expect other than 100-continue.
 */
export function answerBeforeRouting(fastify: FastifyInstance): void {
  fastify.server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = errorBody(417, 'the only Expect understood is 100-continue');
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.raw.httpVersionMajor === 1 && request.raw.httpVersionMinor >= 1 && request.headers.host === undefined) {
      void reply.code(400).type('application/json; charset=utf-8').send(errorBody(400, 'the Host header is required'));
      return;
    }
    done();
  });
}
