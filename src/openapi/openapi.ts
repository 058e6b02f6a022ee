import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_AUTH } from './api-errors.decorator';
import { ErrorBodyResponse } from '../common/errors/error-body.response';

export const OPENAPI_JSON_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

const DESCRIPTION = `Usage metering and usage-based billing.

JSON bodies, camelCase fields, ISO-8601 UTC timestamps, decimal amounts as strings. Every error is
\`{ "statusCode": N, "code": "<snake_case>", "message": "…" }\` plus details. Every \`/v1\` route needs
\`Authorization: Bearer <key>\` with one of the keys in API_KEYS (when API_KEYS is unset the API is open).
Health checks and metrics are open.`;

/** The OpenAPI 3 document of the app, from its controllers and DTOs (the CLI plugin reads the DTOs). */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Tally')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'One of the keys in API_KEYS' }, API_KEY_AUTH)
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ErrorBodyResponse] });
}

/**
 * Serves the document at /openapi.json and Swagger UI at /docs (its assets through @fastify/static).
 * The document is built on the first request, not at start-up.
 */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => createOpenApiDocument(app), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Tally API',
  });
}
