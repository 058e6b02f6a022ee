/**
 * The ceiling for bench-pipeline: a bare Fastify server on the same machine, under the same load
 * generator. Same routes, nothing else: no logging, no metrics, no validation, no database.
 */
import Fastify from 'fastify';

async function main() {
  const app = Fastify({ logger: false });
  app.get('/health/live', async () => ({ status: 'ok' }));
  // Parses the JSON body (Fastify's own parser) and answers 201, as a counted usage event would be.
  app.post('/v1/usage', async (request, reply) => {
    const body = request.body as { feature?: string };
    reply.code(201);
    return { accepted: true, duplicate: false, feature: body.feature };
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
