import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { TALLY_CONFIG } from '../config/config.module';
import { TallyConfig } from '../config/config';
import { ApiKeys } from './api-keys';
import { IS_PUBLIC } from './public.decorator';

/**
 * Every route needs `Authorization: Bearer <key>` with one of API_KEYS, unless it is @Public().
 * Routes outside Nest's router (the OpenAPI document and its viewer) are not guarded at all.
 * /v1 requests are also checked before their body is parsed, in an onRequest hook (app.factory.ts),
 * so that a request without a key is told 401 whatever its body or route.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate, OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeyGuard.name);
  private readonly keys: ApiKeys;

  constructor(
    @Inject(TALLY_CONFIG) config: TallyConfig,
    private readonly reflector: Reflector,
  ) {
    this.keys = new ApiKeys(config.apiKeys);
  }

  onApplicationBootstrap(): void {
    if (this.keys.open) {
      this.logger.warn('auth=off API_KEYS is unset: every /v1 route is open to anyone who can reach this port');
    } else {
      this.logger.log(`auth=bearer keys=${this.keys.count}`);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.keys.open) return true;
    const open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (open) return true;
    this.keys.verify(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
    return true;
  }
}
