import { FastifyInstance } from 'fastify';
import { TallyError, ErrorCode } from '../errors/tally.error';

/**
 * The application/json parser, reading the body's bytes: invalid UTF-8 is refused (400) rather
 * than decoded to U+FFFD, where two different idempotency keys would become the same one. The
 * parsing itself is Fastify's own (same limits, same __proto__ and constructor poisoning checks).
 */
export function parseJsonBodiesStrictly(fastify: FastifyInstance): void {
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new TallyError(ErrorCode.ValidationFailed, 'the request body is not valid UTF-8') as Error & { statusCode?: number }, undefined);
      return;
    }
    parse(request, text, done);
  });
}
