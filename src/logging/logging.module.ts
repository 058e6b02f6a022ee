import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { Logger } from 'pino';
import { isOpsPath } from '../lifecycle/ops-paths';

/**
 * One JSON line per request (method, route, status, time, request id), from nestjs-pino's
 * pino-http middleware; Nest's own logs go through the same logger (app.useLogger in app.factory).
 * Health probes and metric scrapes are not logged: they come every few seconds and say nothing.
 */
@Module({})
export class LoggingModule {
  static forRoot(root: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: root,
            // The id is Fastify's (see requestId in request-id.ts), which pino-http finds on req.id.
            // App logs inside a request carry its id, not the whole request again.
            quietReqLogger: true,
            // Middleware runs under @fastify/middie, which cuts the matched prefix off req.url.
            autoLogging: { ignore: (req) => isOpsPath((req as { originalUrl?: string }).originalUrl ?? req.url) },
            customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
          },
        }),
      ],
    };
  }
}
