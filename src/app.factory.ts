import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { ApiExceptionFilter } from './common/errors/api-exception.filter';
import { createValidationPipe } from './common/validation';
import { TallyConfig } from './config/config';

/** Largest accepted request body; a batch of 1000 usage events fits well within it. */
const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Builds the app exactly as production runs it: main.ts and the tests' createTestApp() both
 * come through here, so pipes, filters and shutdown hooks cannot drift apart.
 */
export async function createApp(config: TallyConfig, logger?: false): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES }),
    { logger: logger === false ? false : undefined, bufferLogs: false },
  );
  configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

export function configureApp(app: INestApplication): void {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter());
}
