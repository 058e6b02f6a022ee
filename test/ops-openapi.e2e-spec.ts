import SwaggerParser from '@apidevtools/swagger-parser';
import { OpenAPIV3 } from 'openapi-types';
import { servedRoutes } from '../src/app.factory';
import { ErrorCode } from '../src/common/errors/tally.error';
import { DOCS_PATH, OPENAPI_JSON_PATH } from '../src/openapi/openapi';
import { send } from './support/http';
import { createTestDatabase } from './support/test-database';
import { startServer } from './support/server-process';
import { TestApp, createTestApp } from './support/test-app';

/** The document and its viewer are what describe the routes, not routes of the API. */
const isDocsRoute = (url: string) => url === OPENAPI_JSON_PATH || url === DOCS_PATH || url.startsWith(`${DOCS_PATH}/`);

/** Fastify's `/v1/features/:key` is OpenAPI's `/v1/features/{key}`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

describe('OpenAPI document', () => {
  let t: TestApp;
  let document: OpenAPIV3.Document;

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.http().get(OPENAPI_JSON_PATH);
    expect(res.status).toBe(200);
    document = res.body;
  });
  afterAll(() => t.close());

  it('is valid OpenAPI 3', async () => {
    expect(document.openapi).toMatch(/^3\./);
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as any)).resolves.toBeDefined();
  });

  it('documents every route the app serves, with its method', () => {
    const routes = servedRoutes(t.app).filter((r) => r.method !== 'HEAD' && !isDocsRoute(r.url));
    expect(routes.length).toBeGreaterThanOrEqual(20);
    const missing = routes.filter((r) => !(document.paths[openApiPath(r.url)] as any)?.[r.method.toLowerCase()]);
    expect(missing).toEqual([]);
    // And nothing is documented that is not served.
    const served = new Set(routes.map((r) => `${r.method} ${openApiPath(r.url)}`));
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => (item as any)[m]).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.filter((op) => !served.has(op))).toEqual([]);
  });

  it('documents, for each /v1 operation, the API key, a success answer and the error answers with the contract body', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const method of METHODS) {
        const op = (item as any)[method] as OpenAPIV3.OperationObject | undefined;
        if (!op) continue;
        const where = `${method.toUpperCase()} ${path}`;
        expect({ where, security: op.security }).toEqual({ where, security: [{ 'api-key': [] }] });
        const statuses = Object.keys(op.responses);
        expect({ where, success: statuses.some((s) => /^2\d\d$/.test(s)) }).toEqual({ where, success: true });
        for (const status of ['401', '500', '503']) expect({ where, status, has: statuses.includes(status) }).toEqual({ where, status, has: true });
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          const content = (op.responses[status] as OpenAPIV3.ResponseObject).content?.['application/json'];
          expect({ where, status, schema: content?.schema }).toEqual({
            where,
            status,
            schema: { $ref: '#/components/schemas/ErrorBodyResponse' },
          });
        }
        // 204 No Content (a DELETE) has no body to describe.
        for (const status of statuses.filter((s) => /^2\d\d$/.test(s) && s !== '204')) {
          const content = (op.responses[status] as OpenAPIV3.ResponseObject).content?.['application/json'];
          expect({ where, status, schema: !!content?.schema }).toEqual({ where, status, schema: true });
        }
        // Actions named by their path alone take no body.
        if (['post', 'patch'].includes(method) && !/\/(void|release|rotate-secret)$/.test(path)) {
          expect({ where, body: !!op.requestBody }).toEqual({ where, body: true });
        }
      }
    }
  });

  it('names every error code of the contract, with the body every error has', () => {
    const schemas = document.components!.schemas!;
    expect(schemas.ErrorBodyResponse).toMatchObject({ required: expect.arrayContaining(['statusCode', 'code', 'message']) });
    expect([...(schemas.ErrorCode as OpenAPIV3.SchemaObject).enum!].sort()).toEqual(Object.values(ErrorCode).sort());
    // Each code the routes can answer is explained where it can happen.
    const text = JSON.stringify(document.paths);
    const routeCodes = Object.values(ErrorCode).filter((c) => c !== ErrorCode.MethodNotAllowed);
    expect(routeCodes.filter((code) => !text.includes(`\`${code}\``))).toEqual([]);
  });

  it('documents the bodies from the DTOs (through the CLI plugin) and the open operations without a key', () => {
    const schemas = document.components!.schemas! as Record<string, OpenAPIV3.SchemaObject>;
    expect(schemas.RecordUsageDto.required).toEqual(['subscriptionId', 'feature']);
    expect(schemas.RecordUsageDto.properties!.idempotencyKey).toMatchObject({ type: 'string', maxLength: 255 });
    expect(schemas.CreatePlanDto.properties!.charges).toMatchObject({ type: 'array', items: { $ref: '#/components/schemas/ChargeDto' } });
    for (const path of ['/health/live', '/health/ready', '/metrics']) {
      expect({ path, security: (document.paths[path] as any).get.security }).toEqual({ path, security: undefined });
    }
    expect(document.components!.securitySchemes!['api-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('serves a viewer at /docs', async () => {
    const page = await t.http().get(DOCS_PATH);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('swagger-ui');
    const init = await t.http().get(`${DOCS_PATH}/swagger-ui-init.js`);
    expect(init.status).toBe(200);
    expect(init.text).toContain('"/v1/usage"');
  });

  it('is the same document the built server serves', async () => {
    // The CLI plugin runs in `nest build` and, as a ts-jest transformer, under jest: both must agree.
    const db = await createTestDatabase();
    const server = await startServer({ databaseUrl: db.url });
    try {
      const served = await send(server.baseUrl, 'GET', OPENAPI_JSON_PATH);
      expect(served.status).toBe(200);
      expect(served.body).toEqual(document);
    } finally {
      await server.stop();
      await db.drop();
    }
  });
});
