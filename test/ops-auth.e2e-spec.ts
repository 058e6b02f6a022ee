import { servedRoutes } from '../src/app.factory';
import { captureLogs } from './support/capture-logs';
import { TestApp, createTestApp } from './support/test-app';
import { rawRequest } from './support/raw-http';

const KEY = 'tally-test-key-7f3a9c2e1b';
const OTHER_KEY = 'tally-other-key-0d4e8b6a5c';
const WRONG_KEY = 'tally-wrong-key-9999999999';

/** A concrete URL for a route template: every `:param` filled with a value that exists nowhere. */
const concrete = (template: string) => template.replace(/:(\w+)/g, (_, name) => `no-such-${name}`);

describe('API keys', () => {
  let t: TestApp;
  const logs = captureLogs();
  let v1Routes: { method: string; url: string }[];

  beforeAll(async () => {
    t = await createTestApp({ config: { apiKeys: [KEY, OTHER_KEY], logLevel: 'info' }, logStream: logs.stream });
    v1Routes = servedRoutes(t.app).filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD');
  });
  afterAll(() => t.close());

  it('knows every /v1 route the app serves', () => {
    // The list comes from Fastify (every route added); a new route is covered without editing this test.
    expect(v1Routes.length).toBeGreaterThanOrEqual(17);
    expect(v1Routes).toEqual(expect.arrayContaining([{ method: 'POST', url: '/v1/usage' }]));
  });

  it('refuses each /v1 route without a key and with a wrong one: 401 unauthorized in the contract body', async () => {
    for (const route of v1Routes) {
      const url = concrete(route.url);
      const refusals = [
        await t.http()[route.method.toLowerCase() as 'get'](url).send(route.method === 'GET' ? undefined : {}),
        await t.http()[route.method.toLowerCase() as 'get'](url).set('authorization', `Bearer ${WRONG_KEY}`).send(),
        await t.http()[route.method.toLowerCase() as 'get'](url).set('authorization', KEY).send(), // no scheme
        await t.http()[route.method.toLowerCase() as 'get'](url).set('authorization', `Basic ${KEY}`).send(),
        await t.http()[route.method.toLowerCase() as 'get'](url).set('authorization', `Bearer ${KEY}x`).send(),
      ];
      for (const res of refusals) {
        expect({ route, status: res.status, body: res.body }).toEqual({
          route,
          status: 401,
          body: { statusCode: 401, code: 'unauthorized', message: expect.any(String) },
        });
        expect(res.headers['www-authenticate']).toBe('Bearer realm="tally"');
      }
    }
  });

  it('answers 401 before looking at the body, content type or route of a /v1 request', async () => {
    const requests = [
      t.http().post('/v1/usage').set('content-type', 'application/json'), // empty JSON body
      t.http().post('/v1/usage').set('content-type', 'application/json').send('{"broken'),
      t.http().post('/v1/features').set('content-type', 'text/plain').send('x'),
      t.http().patch('/v1/usage'), // no such route
      t.http().get('/v1/no-such-thing'),
    ];
    for (const res of await Promise.all(requests)) {
      expect({ status: res.status, body: res.body }).toEqual({
        status: 401,
        body: { statusCode: 401, code: 'unauthorized', message: expect.any(String) },
      });
    }
  });

  it('lets each /v1 route through with either right key (whatever the route then answers)', async () => {
    for (const route of v1Routes) {
      for (const key of [KEY, OTHER_KEY]) {
        const res = await t.http()[route.method.toLowerCase() as 'get'](concrete(route.url)).set('authorization', `Bearer ${key}`).send();
        expect({ route, status: res.status }).not.toEqual({ route, status: 401 });
        expect(res.status).toBeLessThan(500);
      }
    }
    // And a whole request with a key does what it does without auth.
    const created = await t
      .http()
      .post('/v1/features')
      .set('authorization', `bearer ${KEY}`)
      .send({ key: 'auth-feature', name: 'Feature' });
    expect(created.status).toBe(201);
  });

  it('refuses a /v1 route however its path is spelled (percent-encoded, the route is matched decoded)', async () => {
    for (const path of ['/%761/features/auth-feature', '/v%31/features/auth-feature', '/%76%31/usage']) {
      const res = await t.http().get(path);
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 401, code: 'unauthorized' });
    }
    // Absolute-form request lines, and bodies the parser would refuse (415, 400, 413): the key
    // check comes first, on the path as routed.
    const target = new URL(t.baseUrl).host;
    for (const [line, type, body] of [
      [`POST http://${target}/v1/usage`, 'text/plain', '{}'],
      [`POST http://${target}/%761/usage`, 'application/json', '{"broken'],
      ['POST /v%31/usage', 'application/json', 'x'.repeat(2 * 1024 * 1024)],
    ]) {
      const res = await rawRequest(
        t.baseUrl,
        `${line} HTTP/1.1\r\nHost: ${target}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      expect({ line, status: res.status, code: res.body?.code }).toEqual({ line, status: 401, code: 'unauthorized' });
    }
  });

  it('keys /v1 only: every route outside it is one of the open ones', () => {
    // /portal/:token is open to the API key check: its token is its credential (test/portal.e2e-spec.ts).
    const open = ['/health/live', '/health/ready', '/metrics', '/openapi.json', '/docs', '/portal/:token'];
    const outside = servedRoutes(t.app).filter((r) => r.url !== '/v1' && !r.url.startsWith('/v1/'));
    expect(outside.filter((r) => !open.includes(r.url) && !r.url.startsWith('/docs/'))).toEqual([]);
  });

  it('leaves health, metrics and the API documents open', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics', '/openapi.json', '/docs']) {
      const res = await t.http().get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });

  it('asks no API key of a portal page: a link opens it by its token alone (an unknown one: the 401 page, not the API error)', async () => {
    await t.http().post('/v1/customers').set('authorization', `Bearer ${KEY}`).send({ externalId: 'auth-portal', name: 'Portal' }).expect(201);
    const session = await t.http().post('/v1/customers/auth-portal/portal-sessions').set('authorization', `Bearer ${KEY}`).send({});
    expect(session.status).toBe(201);
    const path = new URL(session.body.url).pathname;
    const page = await t.http().get(path);
    expect({ status: page.status, type: page.headers['content-type'] }).toEqual({ status: 200, type: 'text/html; charset=utf-8' });
    const unknown = await t.http().get(`/portal/${'x'.repeat(43)}`);
    expect({ status: unknown.status, type: unknown.headers['content-type'] }).toEqual({ status: 401, type: 'text/html; charset=utf-8' });
    expect(unknown.headers['www-authenticate']).toBeUndefined();
  });

  it('logs one JSON line per request with its id, never a key, and no health checks', async () => {
    await t.http().get('/health/ready').set('authorization', `Bearer ${WRONG_KEY}`);
    const echoed = await t.http().get('/v1/features/auth-feature').set('x-request-id', 'trace-42.a').set('authorization', `Bearer ${KEY}`);
    expect(echoed.status).toBe(200);
    expect(echoed.headers['x-request-id']).toBe('trace-42.a');
    const made = await t.http().get('/v1/features/auth-feature').set('x-request-id', 'bad id with spaces');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const everything = logs.lines.join('\n');
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const secret of [KEY, OTHER_KEY, WRONG_KEY]) expect(everything).not.toContain(secret);

    const requests = logs.parsed().filter((line) => line.msg === 'request completed');
    const byId = requests.filter((line) => line.req.id === 'trace-42.a');
    expect(byId).toHaveLength(1);
    expect(byId[0]).toMatchObject({ level: 'info', reqId: 'trace-42.a', res: { statusCode: 200 } });
    expect(byId[0].req.headers.authorization).toBe('[redacted]');
    expect(requests.some((line) => line.req.id === made.headers['x-request-id'])).toBe(true);
    expect(requests.filter((line) => /^\/(health|metrics)/.test(line.req.url))).toEqual([]);
    // The refusals above were logged too, each with its (redacted) header.
    expect(requests.some((line) => line.res.statusCode === 401 && line.req.headers.authorization === '[redacted]')).toBe(true);
  });

  it('never logs a key sent the wrong way: in the query string or an X-Api-Key header', async () => {
    for (const name of ['api_key', 'apikey', 'token', 'key', 'API_KEY', 'api%5Fkey', 'to%6Ben']) {
      expect((await t.http().get(`/v1/features/auth-feature?${name}=${KEY}&x=1`)).status).toBe(401);
    }
    expect((await t.http().get('/v1/features/auth-feature').set('x-api-key', OTHER_KEY)).status).toBe(401);
    const everything = logs.lines.join('\n');
    for (const secret of [KEY, OTHER_KEY]) expect(everything).not.toContain(secret);
    const requests = logs.parsed().filter((line) => line.msg === 'request completed');
    expect(requests.some((line) => line.req.url === '/v1/features/auth-feature?api_key=[redacted]&x=1')).toBe(true);
  });
});
