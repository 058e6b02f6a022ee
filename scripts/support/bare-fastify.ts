/**
 * The HTTP ceiling of `npm run bench` and `npm run bench:pipeline`: Fastify with nothing but
 * trivial routes, in a process of its own, driven by the same load generator as Tally. Whatever
 * Tally adds on top of Fastify (NestJS routing, hooks, logging, metrics, validation) shows as the
 * gap between this and Tally's own routes.
 *
 * fastify is a devDependency at exactly the version @nestjs/platform-fastify installs, so this
 * measures the same Fastify that Tally runs on.
 */
import { fastify } from 'fastify';

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set');
  // No logger: Tally logs every request, but that is part of what Tally costs, not of the ceiling.
  const app = fastify({ logger: false });
  app.get('/', async () => ({ status: 'ok' }));
  app.get('/health/live', async () => ({ status: 'ok' }));
  // Parses the JSON body (Fastify's own parser) and answers 201, as a counted usage event would be.
  app.post('/v1/usage', async (request, reply) => {
    const body = request.body as { feature?: string };
    reply.code(201);
    return { accepted: true, duplicate: false, feature: body.feature };
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
