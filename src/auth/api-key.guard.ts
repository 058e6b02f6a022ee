import { CanActivate, ExecutionContext, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { FastifyRequest } from 'fastify';
import { ErrorCode, TallyError } from '../common/errors/tally.error';
import { TALLY_CONFIG } from '../config/config.module';
import { TallyConfig } from '../config/config';
import { IS_PUBLIC } from './public.decorator';

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

const unauthorized = (message: string) =>
  new TallyError(ErrorCode.Unauthorized, message, {}, { 'www-authenticate': 'Bearer realm="tally"' });

/**
 * Every route needs `Authorization: Bearer <key>` with one of API_KEYS, unless it is @Public().
 * Routes outside Nest's router (the OpenAPI document and its viewer) are not guarded at all.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate, OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeyGuard.name);
  /** SHA-256 of each key: comparing digests of equal length leaks neither the key nor its length. */
  private readonly digests: Buffer[];

  constructor(
    @Inject(TALLY_CONFIG) config: TallyConfig,
    private readonly reflector: Reflector,
  ) {
    this.digests = config.apiKeys.map(digest);
  }

  onApplicationBootstrap(): void {
    if (this.digests.length === 0) {
      this.logger.warn('auth=off API_KEYS is unset: every /v1 route is open to anyone who can reach this port');
    } else {
      this.logger.log(`auth=bearer keys=${this.digests.length}`);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0) return true;
    const open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (open) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
    if (!match) throw unauthorized('an API key is required: send Authorization: Bearer <key>');
    if (!this.known(match[1])) throw unauthorized('the API key is not valid');
    return true;
  }

  /** Compares with every key, without stopping at a match: the time taken says nothing about which. */
  private known(key: string): boolean {
    const presented = digest(key);
    let found = false;
    for (const expected of this.digests) found = timingSafeEqual(expected, presented) || found;
    return found;
  }
}
