import { DAY_MS, HOUR_MS, billedSubscription, iso, unique } from './support/fixtures';
import { freePort } from './support/server-process';
import { TestApp, createTestApp } from './support/test-app';
import { until } from './support/until';
import { Receiver, startReceiver, verifyTallySignature } from './support/webhook-receiver';

/** Fast retries and polls, and receivers on 127.0.0.1: private networks allowed unless a test says otherwise. */
const FAST = {
  webhookAllowPrivateNetworks: true,
  webhookRetryScheduleMs: Array(10).fill(200),
  webhookPollIntervalMs: 100,
  webhookTimeoutMs: 2000,
};

describe('webhooks', () => {
  let t: TestApp;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    t = await createTestApp({ config: FAST });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
  });

  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const endpoint = async (app: TestApp, url: string, eventTypes?: string[]) =>
    (await app.http().post('/v1/webhook-endpoints').send({ url, ...(eventTypes ? { eventTypes } : {}) }).expect(201)).body;
  const subscription = (app: TestApp, startAt?: string) =>
    billedSubscription(app.baseUrl, { interval: 'day', charges: [{ pricing: { model: 'per_unit', unitPrice: '0.5' } }], ...(startAt ? { startAt } : {}) });
  /** The event of `type` about `id` (a subscription's or an invoice's) the receiver got, once it has. */
  const eventsAbout = (r: Receiver, type: string, id: string) =>
    r.received.filter((x) => x.event.type === type && x.event.data.id === id);
  const attempts = async (app: TestApp, endpointId: string, eventId: string) =>
    (await app.http().get(`/v1/webhook-endpoints/${endpointId}/deliveries`).query({ limit: 100 }).expect(200)).body.data
      .filter((a: any) => a.eventId === eventId)
      .reverse();

  it('signs with the documented recipe; after rotate-secret both v1 signatures verify, each with its own secret', async () => {
    const r = await receiver();
    const created = await endpoint(t, r.url, ['subscription.created']);
    expect(created).toMatchObject({ url: r.url, eventTypes: ['subscription.created'], enabled: true, description: null });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43,}$/);
    const read = await t.http().get(`/v1/webhook-endpoints/${created.id}`).expect(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(JSON.stringify((await t.http().get('/v1/webhook-endpoints').expect(200)).body)).not.toContain(created.secret);

    const first = await subscription(t);
    await until(() => eventsAbout(r, 'subscription.created', first.subscriptionId).length > 0, 'the first delivery');
    const [one] = eventsAbout(r, 'subscription.created', first.subscriptionId);
    expect(one.headers['content-type']).toBe('application/json');
    expect(one.headers['tally-event-id']).toBe(one.event.id);
    expect(one.headers['tally-event-type']).toBe('subscription.created');
    const header = one.headers['tally-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyTallySignature(one.rawBody, header, created.secret)).toBe(true);
    expect(verifyTallySignature(one.rawBody, header, 'whsec_wrong')).toBe(false);
    expect(verifyTallySignature(one.rawBody.replace('}', ' }'), header, created.secret)).toBe(false);
    expect(verifyTallySignature(one.rawBody, header, created.secret, -1)).toBe(false); // too old for any tolerance

    const rotated = (await t.http().post(`/v1/webhook-endpoints/${created.id}/rotate-secret`).expect(200)).body;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    const second = await subscription(t);
    await until(() => eventsAbout(r, 'subscription.created', second.subscriptionId).length > 0, 'the delivery after rotation');
    const [two] = eventsAbout(r, 'subscription.created', second.subscriptionId);
    const signature = two.headers['tally-signature'] as string;
    const [t2, v1a, v1b] = signature.split(',');
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    // Each v1 alone verifies with exactly one of the secrets.
    expect(verifyTallySignature(two.rawBody, `${t2},${v1a}`, rotated.secret)).toBe(true);
    expect(verifyTallySignature(two.rawBody, `${t2},${v1b}`, created.secret)).toBe(true);
    expect(verifyTallySignature(two.rawBody, `${t2},${v1a}`, created.secret)).toBe(false);
    expect(verifyTallySignature(two.rawBody, signature, rotated.secret)).toBe(true);
    expect(verifyTallySignature(two.rawBody, signature, created.secret)).toBe(true);
    await t.http().delete(`/v1/webhook-endpoints/${created.id}`).expect(204);
    await t.http().get(`/v1/webhook-endpoints/${created.id}`).expect(404);
  });

  it('a receiver answering 500 twice then 200 gets the event three times, and the deliveries log shows each attempt', async () => {
    const r = await receiver((_, n) => (n < 2 ? 500 : 200));
    const hook = await endpoint(t, r.url, ['subscription.created']);
    const sub = await subscription(t);
    await until(async () => eventsAbout(r, 'subscription.created', sub.subscriptionId).length >= 3, 'three deliveries');
    const got = eventsAbout(r, 'subscription.created', sub.subscriptionId);
    expect(got.map((g) => g.answer)).toEqual([500, 500, 200]);
    expect(new Set(got.map((g) => g.headers['tally-event-id'])).size).toBe(1);
    const eventId = got[0].event.id;
    await until(async () => (await attempts(t, hook.id, eventId)).length === 3, 'three attempts logged');
    const log = await attempts(t, hook.id, eventId);
    expect(log.map((a: any) => [a.attempt, a.status, a.responseStatus])).toEqual([
      [1, 'pending', 500],
      [2, 'pending', 500],
      [3, 'succeeded', 200],
    ]);
    expect(log[0].nextAttemptAt).not.toBeNull();
    expect(log[0].error).toBe('HTTP 500');
    expect(log[2].nextAttemptAt).toBeNull();
    expect(log.every((a: any) => Number.isInteger(a.durationMs))).toBe(true);
    // Nothing more comes once it succeeded.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(eventsAbout(r, 'subscription.created', sub.subscriptionId)).toHaveLength(3);
    await t.http().delete(`/v1/webhook-endpoints/${hook.id}`).expect(204);
  });

  it('a receiver that is down for a while gets every event once it is back', async () => {
    const port = await freePort();
    const hook = await endpoint(t, `http://127.0.0.1:${port}/hooks`, ['subscription.created']);
    const subs = [await subscription(t), await subscription(t), await subscription(t)];
    const events = await Promise.all(
      subs.map(async (s) => {
        let id: string | undefined;
        await until(async () => {
          const page = (await t.http().get('/v1/events').query({ type: 'subscription.created', limit: 100 }).expect(200)).body;
          id = page.data.find((e: any) => e.data.id === s.subscriptionId)?.id;
          return id !== undefined && (await attempts(t, hook.id, id)).length >= 1;
        }, 'a refused attempt');
        return id!;
      }),
    );
    for (const id of events) expect((await attempts(t, hook.id, id))[0]).toMatchObject({ status: 'pending', responseStatus: null, error: expect.stringMatching(/ECONNREFUSED/) });
    const r = await receiver(() => 200, port);
    await until(() => events.every((id) => r.of(id).some((x) => x.answer === 200)), 'every event, once the receiver is back');
    await t.http().delete(`/v1/webhook-endpoints/${hook.id}`).expect(204);
  });

  it('announces invoice.created, invoice.voided, subscription.created and subscription.cancelled once each, data as their GETs answer', async () => {
    const r = await receiver();
    const hook = await endpoint(t, r.url);
    expect(hook.eventTypes).toEqual(expect.arrayContaining(['invoice.created', 'subscription.cancelled', 'usage.threshold_crossed']));
    const sub = await subscription(t, iso(Date.now() - DAY_MS - HOUR_MS));
    const subscriptionGet = (await t.http().get(`/v1/subscriptions/${sub.subscriptionId}`).expect(200)).body;
    await t.http().post('/v1/billing/rollups').send({}).expect(200);
    const [invoice] = (await t.http().get('/v1/invoices').query({ subscriptionId: sub.subscriptionId }).expect(200)).body.data;
    const invoiceGet = (await t.http().get(`/v1/invoices/${invoice.id}`).expect(200)).body;
    await t.http().post(`/v1/invoices/${invoice.id}/void`).expect(200);
    await t.http().post(`/v1/invoices/${invoice.id}/void`).expect(200); // a second void changes nothing: no second event
    const voidedGet = (await t.http().get(`/v1/invoices/${invoice.id}`).expect(200)).body;
    await t.http().post(`/v1/subscriptions/${sub.subscriptionId}/cancel`).send({ at: 'now' }).expect(200);
    await t.http().post(`/v1/subscriptions/${sub.subscriptionId}/cancel`).send({ at: 'now' }).expect(409);
    const cancelledGet = (await t.http().get(`/v1/subscriptions/${sub.subscriptionId}`).expect(200)).body;

    const expected: [string, string, unknown][] = [
      ['subscription.created', sub.subscriptionId, subscriptionGet],
      ['invoice.created', invoice.id, invoiceGet],
      ['invoice.voided', invoice.id, voidedGet],
      ['subscription.cancelled', sub.subscriptionId, cancelledGet],
    ];
    await until(() => expected.every(([type, id]) => eventsAbout(r, type, id).length > 0), 'the four events');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [type, id, get] of expected) {
      const delivered = eventsAbout(r, type, id);
      expect(delivered).toHaveLength(1);
      expect(delivered[0].event.data).toEqual(get);
      // The outbox holds it once, and answers it as delivered.
      const listed = (await t.http().get('/v1/events').query({ type, limit: 100 }).expect(200)).body.data.filter((e: any) => e.data.id === id);
      expect(listed).toEqual([delivered[0].event]);
      expect((await t.http().get(`/v1/events/${listed[0].id}`).expect(200)).body).toEqual(delivered[0].event);
    }

    // Resend: a new delivery of the same event (same id: the receiver deduplicates by it).
    const eventId = eventsAbout(r, 'invoice.created', invoice.id)[0].event.id;
    const resent = await t.http().post(`/v1/events/${eventId}/resend`).send({ endpointId: hook.id }).expect(202);
    expect(resent.body).toMatchObject({ eventId, endpointId: hook.id, status: 'pending' });
    await until(() => r.of(eventId).length === 2, 'the resent delivery');
    await t.http().post(`/v1/events/${eventId}/resend`).send({ endpointId: '00000000-0000-0000-0000-000000000000' }).expect(404);
    await t.http().post('/v1/events/evt_00000000000000000000000000000000/resend').send({ endpointId: hook.id }).expect(404);
    const metrics = (await t.http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/tally_webhook_deliveries_total\{result="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/tally_webhook_oldest_undelivered_event_age_seconds \d/);
    await t.http().delete(`/v1/webhook-endpoints/${hook.id}`).expect(204);
  });

  it('lists events newest first with an opaque cursor; a tampered cursor or bad input is 400 naming the field', async () => {
    for (let i = 0; i < 3; i++) await subscription(t);
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await t.http().get('/v1/events').query({ type: 'subscription.created', limit: 2, ...(cursor ? { cursor } : {}) }).expect(200)).body;
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    const keys = seen.map((e) => `${e.createdAt}|${e.id}`);
    expect(keys).toEqual([...keys].sort().reverse());

    const bad = async (query: object, field: string) => {
      const answer = await t.http().get('/v1/events').query(query).expect(400);
      expect(answer.body).toMatchObject({ code: 'validation_failed' });
      expect(answer.body.errors.map((e: any) => e.field)).toEqual([field]);
    };
    await bad({ cursor: Buffer.from('2025-01-01T00:00:00.000Z|evt_nope').toString('base64url') }, 'cursor');
    await bad({ cursor: 'garbage' }, 'cursor');
    await bad({ limit: 0 }, 'limit');
    await bad({ limit: 101 }, 'limit');
    await bad({ type: 'invoice.paid' }, 'type');
    await t.http().get('/v1/events/evt_00000000000000000000000000000000').expect(404);
    await t.http().get('/v1/events/not-an-id').expect(404);
  });

  it('validates endpoint bodies: unknown event types, bad PATCH values and unknown ids', async () => {
    const r = await receiver();
    const hook = await endpoint(t, r.url, ['invoice.created']);
    const bad = async (call: Promise<any>, field: string) => {
      const answer = await call;
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((e: any) => e.field)).toContain(field);
    };
    await bad(t.http().post('/v1/webhook-endpoints').send({ url: r.url, eventTypes: ['invoice.paid'] }), 'eventTypes');
    await bad(t.http().post('/v1/webhook-endpoints').send({ url: r.url, eventTypes: [] }), 'eventTypes');
    await bad(t.http().post('/v1/webhook-endpoints').send({}), 'url');
    await bad(t.http().patch(`/v1/webhook-endpoints/${hook.id}`).send({ enabled: 'no' }), 'enabled');
    await bad(t.http().patch(`/v1/webhook-endpoints/${hook.id}`).send({ enabled: null }), 'enabled');
    await bad(t.http().patch(`/v1/webhook-endpoints/${hook.id}`).send({ url: null }), 'url');
    await bad(t.http().patch(`/v1/webhook-endpoints/${hook.id}`).send({ url: 'http://169.254.169.254/' }), 'url');
    const patched = await t.http().patch(`/v1/webhook-endpoints/${hook.id}`).send({ description: 'accounting', enabled: false, eventTypes: null }).expect(200);
    expect(patched.body).toMatchObject({ url: r.url, description: 'accounting', enabled: false });
    expect(patched.body.eventTypes).toHaveLength(7);
    await t.http().patch('/v1/webhook-endpoints/00000000-0000-0000-0000-000000000000').send({ enabled: true }).expect(404);
    await t.http().post('/v1/webhook-endpoints/nope/rotate-secret').expect(404);
    await t.http().get(`/v1/webhook-endpoints/${hook.id}/deliveries`).query({ cursor: 'x' }).expect(400);
    await t.http().delete(`/v1/webhook-endpoints/${hook.id}`).expect(204);
  });

  describe('without WEBHOOK_ALLOW_PRIVATE_NETWORKS', () => {
    let strict: TestApp;
    beforeAll(async () => {
      strict = await createTestApp({ config: { ...FAST, webhookAllowPrivateNetworks: false } });
    });
    afterAll(() => strict.close());

    it.each([
      ['http://169.254.169.254/latest/meta-data/', /link-local/],
      ['http://10.0.0.1/hooks', /private/],
      ['http://127.0.0.1:8080/hooks', /private/],
      ['http://[::1]:8080/hooks', /private/],
      ['https://user:pass@example.com/hooks', /credentials/],
      ['ftp://example.com/hooks', /https or http/],
    ])('refuses %s with 400 naming url, creating nothing', async (url, problem) => {
      const answer = await strict.http().post('/v1/webhook-endpoints').send({ url }).expect(400);
      expect(answer.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'url', problems: [expect.stringMatching(problem)] }] });
      expect((await strict.http().get('/v1/webhook-endpoints').expect(200)).body.data.filter((e: any) => e.url === url)).toEqual([]);
    });

    it('refuses the metadata address even with the flag on', async () => {
      const answer = await t.http().post('/v1/webhook-endpoints').send({ url: 'http://169.254.169.254/' }).expect(400);
      expect(answer.body.errors[0].field).toBe('url');
    });

    it('does not contact a host name that resolves to a private address at delivery time, and records the refusal', async () => {
      const r = await receiver();
      // The name passes registration (DNS may change after it); the address it resolves to is checked when sending.
      const hook = await endpoint(strict, `http://localhost:${r.port}/hooks`, ['subscription.created']);
      const sub = await subscription(strict);
      let eventId: string | undefined;
      await until(async () => {
        const page = (await strict.http().get('/v1/events').query({ type: 'subscription.created' }).expect(200)).body;
        eventId = page.data.find((e: any) => e.data.id === sub.subscriptionId)?.id;
        return eventId !== undefined && (await attempts(strict, hook.id, eventId)).length >= 2;
      }, 'refused attempts');
      const [first] = await attempts(strict, hook.id, eventId!);
      expect(first).toMatchObject({ status: 'pending', responseStatus: null, error: expect.stringMatching(/^refused: localhost resolves to .*(loopback|private)/) });
      expect(r.received).toEqual([]);
    });
  });
});
