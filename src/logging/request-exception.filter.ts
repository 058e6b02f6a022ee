import { ArgumentsHost, Catch } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { ApiExceptionFilter } from '../common/errors/api-exception.filter';
import { inRequestScope } from './request-scope';

/**
 * The API's exception filter, run with the failed request in scope: the line it logs for an
 * unexpected error (or an unavailable database) carries the request's `reqId`, the id its caller
 * got in X-Request-Id, so that a 500 can be found in the logs from the answer.
 */
@Catch()
export class RequestExceptionFilter extends ApiExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const id = host.switchToHttp().getRequest<FastifyRequest>()?.id;
    if (id === undefined) return super.catch(exception, host);
    inRequestScope(id, () => super.catch(exception, host));
  }
}
