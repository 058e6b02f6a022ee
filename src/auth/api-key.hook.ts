import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiExceptionFilter } from '../common/errors/api-exception.filter';
import { TALLY_CONFIG } from '../config/config.module';
import { TallyConfig } from '../config/config';
import { ApiKeys } from './api-keys';

const isV1 = (path: string) => path === '/v1' || path.startsWith('/v1/') || path.startsWith('/v1?');

function decodedPath(url: string): string {
  const path = url.split('?', 1)[0];
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Whether a request is one of the API's, and so needs a key. Fastify has routed the request by the
 * time onRequest hooks run: a matched request is judged by its route template, which no spelling
 * of the URL (`/%761/features` routes as `/v1/features`) can disguise; an unmatched one by its
 * decoded path, so that an unknown /v1 path is 401 too, not a 404 that tells a stranger which
 * paths exist.
 */
export function needsApiKey(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return isV1(route ?? decodedPath(request.url));
}

/**
 * The one API key check: every /v1 request needs `Authorization: Bearer <key>` with one of
 * API_KEYS, checked in an onRequest hook, before anything else about the request is looked at —
 * a request without a key is 401 whatever its body, content type or route. Everything else
 * (/health/*, /metrics, /openapi.json, /docs) is open.
 */
@Injectable()
export class ApiKeyHook implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeyHook.name);
  private readonly keys: ApiKeys;
  private readonly errors = new ApiExceptionFilter();

  constructor(
    @Inject(TALLY_CONFIG) config: TallyConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.keys = new ApiKeys(config.apiKeys);
  }

  onModuleInit(): void {
    if (this.keys.open) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!needsApiKey(request)) return done();
      try {
        this.keys.verify(request.headers.authorization);
      } catch (error) {
        const { body, headers } = this.errors.toBody(error);
        reply.code(body.statusCode).headers(headers).send(body);
        return;
      }
      done();
    });
  }

  onApplicationBootstrap(): void {
    if (this.keys.open) {
      this.logger.warn('auth=off API_KEYS is unset: every /v1 route is open to anyone who can reach this port');
    } else {
      this.logger.log(`auth=bearer keys=${this.keys.count}`);
    }
  }
}
