import { DynamicModule, Global, Module } from '@nestjs/common';
import { Logger } from 'pino';

/** The process's root pino logger (root-logger.ts), for providers that write to it directly. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * JSON logs: the request line is a Fastify hook over the root logger (request-log.ts, added by
 * app.factory), Nest's own logs go through EarlyLogger over the same logger (app.useLogger).
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(root: Logger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: ROOT_LOGGER, useValue: root }],
      exports: [ROOT_LOGGER],
    };
  }
}
