import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyServerOptions } from 'fastify';
import { DestinationStream, Logger } from 'pino';
import { AppModule } from './app.module';
import { parseJsonBodiesStrictly } from './common/http/json-body';
import { HTTP_SERVER_OPTIONS, answerBeforeRouting, clientErrorHandler, frameworkErrors } from './common/http/pre-routing-errors';
import { createValidationPipe } from './common/validation';
import { answerPastDeadline } from './lifecycle/request-deadline';
import { TallyConfig } from './config/config';
import { EarlyLogger } from './logging/early-logger';
import { RequestExceptionFilter } from './logging/request-exception.filter';
import { requestId } from './logging/request-id';
import { logRequests } from './logging/request-log';
import { createRootLogger } from './logging/root-logger';
import { setupOpenApi } from './openapi/openapi';

/** Largest accepted request body; a batch of 1000 usage events fits well within it. */
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  /**
   * The root JSON logger (createRootLogger); default: one at LOG_LEVEL on `logStream`, or on
   * stdout. false: no logs at all, as the tests run by default.
   */
  logger?: Logger | false;
  /** Where the default logger writes (tests capture the lines here). */
  logStream?: DestinationStream;
}

export interface ServedRoute {
  method: string;
  /** The route template as Fastify has it: `/v1/features/:key`. */
  url: string;
}

const routeTables = new WeakMap<INestApplication, ServedRoute[]>();

/** Every route the app's Fastify instance serves (recorded as they were added), for tests and debugging. */
export function servedRoutes(app: INestApplication): ServedRoute[] {
  return [...(routeTables.get(app) ?? [])];
}

/**
 * Builds the app exactly as production runs it: main.ts and the tests' createTestApp() both
 * come through here, so pipes, filters, auth, logging, metrics and shutdown cannot drift apart.
 */
export async function createApp(config: TallyConfig, options: AppOptions | false = {}): Promise<NestFastifyApplication> {
  const given = options === false ? false : options.logger;
  const quiet = given === false;
  const stream = options === false ? undefined : options.logStream;
  const root = given === false ? createRootLogger('silent') : (given ?? createRootLogger(config.logLevel, stream));
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, root),
    // requestIdHeader: false: requestId() reads X-Request-Id itself, and refuses odd ones.
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      genReqId: requestId,
      requestIdHeader: false,
      // While closing, Fastify would answer new requests 503 in its own body shape; the drain
      // hook (lifecycle/drain.service.ts) answers them instead, in the contract's error body.
      return503OnClosing: false,
      // Answers given before routing, in the contract's error body (common/http/pre-routing-errors.ts).
      clientErrorHandler,
      frameworkErrors,
      http: HTTP_SERVER_OPTIONS,
    } as FastifyServerOptions),
    // bodyParser: false keeps Nest from adding its application/x-www-form-urlencoded parser.
    { logger: quiet ? false : new EarlyLogger(root), bodyParser: false },
  );
  const fastify = app.getHttpAdapter().getInstance();
  // First of Tally's hooks, so that every answer carries X-Request-Id, the early ones too (the
  // API key check, auth/api-key.hook.ts, and the drain are added during app.init()).
  logRequests(fastify, root);
  answerBeforeRouting(fastify);
  answerPastDeadline(fastify, config.requestTimeoutMs);
  const routes: ServedRoute[] = [];
  routeTables.set(app, routes);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  // The contract is JSON bodies only. Fastify's own application/json parser stays (same body limit,
  // same __proto__ poisoning checks as Nest's); its text/plain one goes. Without this a form-encoded
  // body (what `curl -d` sends by default) was counted as usage, and a text body failed validation
  // with messages about every field instead of naming the real problem: both are now 415.
  fastify.removeContentTypeParser(['text/plain']);
  parseJsonBodiesStrictly(fastify);
  configureApp(app);
  setupOpenApi(app);
  await app.init();
  await fastify.ready();
  return app;
}

export function configureApp(app: INestApplication): void {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new RequestExceptionFilter());
}
