import { DailyUsageSealer } from '../src/portal/daily-usage/daily-usage-sealer';
import { captureLogs } from './support/capture-logs';
import { portalCustomer, portalLink } from './support/portal';
import { TestApp, createTestApp } from './support/test-app';
import { sql } from './support/test-database';

const FRAME_ANCESTORS = "'self' https://app.example.com";

describe('customer portal: sessions and the page over HTTP', () => {
  let t: TestApp;
  const logs = captureLogs();
  let a: Awaited<ReturnType<typeof portalCustomer>>;
  let b: Awaited<ReturnType<typeof portalCustomer>>;

  beforeAll(async () => {
    t = await createTestApp({
      config: { logLevel: 'info', publicUrl: 'https://billing.example.com/tally', portalFrameAncestors: FRAME_ANCESTORS },
      logStream: logs.stream,
    });
    a = await portalCustomer(t.baseUrl, 'Customer <A> & "Sons"');
    b = await portalCustomer(t.baseUrl, 'Customer B');
  });
  afterAll(() => t.close());

  it('POST makes a link under PUBLIC_URL with a 43-character token, expiring in expiresInSeconds (default 3600)', async () => {
    const before = Date.now();
    const res = await t.http().post(`/v1/customers/${a.externalId}/portal-sessions`).send({}).expect(201);
    expect(res.body.url).toMatch(/^https:\/\/billing\.example\.com\/tally\/portal\/[A-Za-z0-9_-]{43}$/);
    const expiresAt = Date.parse(res.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 5000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 5000);
    const short = await t.http().post(`/v1/customers/${a.externalId}/portal-sessions`).send({ expiresInSeconds: 60 }).expect(201);
    expect(Date.parse(short.body.expiresAt)).toBeLessThanOrEqual(Date.now() + 60_000 + 5000);
    // Without a body at all, too.
    await t.http().post(`/v1/customers/${a.externalId}/portal-sessions`).expect(201);
  });

  it('stores only the SHA-256 of the token', async () => {
    const { token } = await portalLink(t.baseUrl, a.externalId);
    const rows = await sql(t.databaseUrl, `SELECT encode(token_hash, 'hex') AS hash, to_jsonb(s)::text AS row FROM portal_sessions s`);
    const hash = require('node:crypto').createHash('sha256').update(token).digest('hex');
    expect(rows.map((r) => r.hash)).toContain(hash);
    expect(rows.map((r) => r.row).join('\n')).not.toContain(token);
  });

  it('refuses bad input with 400 validation_failed naming the field, and an unknown customer with 404', async () => {
    const path = `/v1/customers/${a.externalId}/portal-sessions`;
    for (const [body, field] of [
      [{ expiresInSeconds: 59 }, 'expiresInSeconds'],
      [{ expiresInSeconds: 86_401 }, 'expiresInSeconds'],
      [{ expiresInSeconds: '3600' }, 'expiresInSeconds'],
      [{ expiresInSeconds: 90.5 }, 'expiresInSeconds'],
      [{ returnUrl: 'javascript:alert(1)' }, 'returnUrl'],
      [{ returnUrl: 'ftp://example.com/' }, 'returnUrl'],
      [{ returnUrl: 'not a url' }, 'returnUrl'],
      [{ other: 1 }, 'other'],
    ] as const) {
      const res = await t.http().post(path).send(body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 400, code: 'validation_failed' });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    await t.http().post(path).send({ expiresInSeconds: 86_400, returnUrl: 'http://localhost:8080/app?x=1' }).expect(201);
    const missing = await t.http().post('/v1/customers/no-such-customer/portal-sessions').send({});
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'not_found' });
    const revokeMissing = await t.http().delete('/v1/customers/no-such-customer/portal-sessions');
    expect({ status: revokeMissing.status, code: revokeMissing.body.code }).toEqual({ status: 404, code: 'not_found' });
  });

  it('serves the page with the security headers, and escapes what the customer, plans and features are called', async () => {
    const { path } = await portalLink(t.baseUrl, a.externalId, { returnUrl: 'https://app.example.com/account?tab="usage"' });
    const res = await t.http().get(path).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = res.headers['content-security-policy'];
    expect(csp).toMatch(/^default-src 'self'; /);
    expect(csp).toContain(`frame-ancestors ${FRAME_ANCESTORS}`);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).not.toMatch(/https?:\/\/(?!app\.example\.com)|unsafe-inline|\*/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).toContain('Customer &lt;A&gt; &amp; &quot;Sons&quot;');
    expect(res.text).not.toContain('<A>');
    expect(res.text).toContain('href="https://app.example.com/account?tab=&quot;usage&quot;"');
    expect(res.text).not.toMatch(/<script/i);
    // The inline stylesheet is exactly what the CSP's hash allows.
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)![1];
    const hash = require('node:crypto').createHash('sha256').update(style).digest('base64');
    expect(csp).toContain(`'sha256-${hash}'`);
  });

  it("shows customer A's link nothing of customer B", async () => {
    const { path } = await portalLink(t.baseUrl, a.externalId);
    const page = (await t.http().get(path).expect(200)).text;
    for (const s of a.subscriptions) {
      expect(page).toContain(`data-subscription="${s.subscriptionId}"`);
      for (const feature of s.features) expect(page).toContain(feature);
    }
    expect(page).not.toContain('Customer B');
    for (const s of b.subscriptions) {
      expect(page).not.toContain(s.subscriptionId);
      for (const feature of s.features) expect(page).not.toContain(feature);
      expect(page).not.toContain(s.planKey);
    }
  });

  it('answers 401 with the same page for an unknown, a malformed, an expired and a revoked link', async () => {
    const expired = await portalLink(t.baseUrl, b.externalId, { expiresInSeconds: 60 });
    await sql(t.databaseUrl, `UPDATE portal_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = sha256($1::bytea)`, [
      Buffer.from(expired.token),
    ]);
    const revoked = await portalLink(t.baseUrl, b.externalId);
    const otherRevoked = await portalLink(t.baseUrl, b.externalId);
    const stillGood = await portalLink(t.baseUrl, a.externalId);
    const res = await t.http().delete(`/v1/customers/${b.externalId}/portal-sessions`).expect(200);
    // The expired one is not counted: it was no longer live.
    expect(res.body).toEqual({ revoked: 2 });
    const bodies = new Set<string>();
    for (const path of [expired.path, revoked.path, otherRevoked.path, `/portal/${'A'.repeat(43)}`, '/portal/short', '/portal/%00']) {
      const page = await t.http().get(path);
      expect({ path, status: page.status }).toEqual({ path, status: 401 });
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers['content-security-policy']).toMatch(/^default-src 'self'/);
      expect(page.text).toContain('This link has expired');
      bodies.add(page.text);
    }
    expect(bodies.size).toBe(1);
    await t.http().get(stillGood.path).expect(200);
  });

  it('sealing the daily rollup changes no figure on the page', async () => {
    const { path } = await portalLink(t.baseUrl, a.externalId);
    const strip = (page: string) => page.replace(/<time datetime="[^"]*">[^<]*<\/time>/g, '');
    const before = strip((await t.http().get(path).expect(200)).text);
    // As if a minute had passed (the sealer keeps clear of the last seconds, where a transaction
    // may have taken its start time and not yet shown it), with everything left to fold in.
    await sql(t.databaseUrl, `UPDATE usage_events SET recorded_at = recorded_at - interval '1 minute'`);
    await sql(t.databaseUrl, `UPDATE usage_daily_watermark SET sealed_through = now() - interval '20 days'`);
    expect(await t.app.get(DailyUsageSealer).sealAll()).toBeGreaterThan(0);
    const sealed = await sql(t.databaseUrl, `SELECT count(*)::int AS n FROM usage_daily`);
    expect(sealed[0].n).toBeGreaterThan(0);
    expect(strip((await t.http().get(path).expect(200)).text)).toEqual(before);
    // Usage recorded after the seal is on the page at once (summed from the ledger).
    const [first] = a.subscriptions;
    await t.http().post('/v1/usage').send({ subscriptionId: first.subscriptionId, feature: first.features[2], quantity: 1000 }).expect(201);
    const after = (await t.http().get(path).expect(200)).text;
    expect(after).toContain('13,345');
    expect(await t.app.get(DailyUsageSealer).sealAll()).toBeGreaterThanOrEqual(0);
  });

  it('never writes a token into a log line', async () => {
    const link = await portalLink(t.baseUrl, a.externalId);
    await t.http().get(link.path).expect(200);
    await t.http().get(`${link.path}?token=${link.token}`).expect(200);
    await t.http().get(link.path.replace('/portal/', '/%70ortal/')).expect(200);
    await t.http().get('/favicon.ico').set('referer', link.url);
    await t.http().get(`/portal/${link.token}x`).expect(401);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = logs.lines.join('\n');
    expect(text).toContain('/portal/[redacted]');
    expect(text).not.toContain(link.token);
    expect(text).not.toContain(link.token.slice(0, 20));
  });

  it('lists only active subscriptions: an ended one is not shown', async () => {
    const [, second] = a.subscriptions;
    await t.http().post(`/v1/subscriptions/${second.subscriptionId}/cancel`).send({ at: 'now' }).expect(200);
    const { path } = await portalLink(t.baseUrl, a.externalId);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const page = (await t.http().get(path).expect(200)).text;
    expect(page).not.toContain(second.subscriptionId);
    expect(page).toContain(a.subscriptions[0].subscriptionId);
  });
});
