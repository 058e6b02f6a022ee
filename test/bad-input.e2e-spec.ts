import request from 'supertest';
import { Metered, meteredSubscription, unique } from './support/fixtures';
import { oneChunk, rawRequest } from './support/raw-http';
import { TestApp, createTestApp } from './support/test-app';
import { databaseTotals, sql } from './support/test-database';

/**
 * Malformed bodies and ids, table by table: each is a 4xx with the contract's code and body shape
 * `{ statusCode, code, message }` (a 400 names the field in `message`), never a 500, and after all
 * of them nothing was counted and nothing was created.
 */
type Test = ReturnType<ReturnType<TestApp['http']>['post']>;
interface Ctx {
  t: TestApp;
  m: Metered;
  /** A feature that exists but is not in m's plan. */
  unplanned: string;
}
/** [what, request, status, code, field named in the message] */
type Case = [string, (ctx: Ctx) => Test, number, string, string?];

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const raw = (test: Test, contentType: string, body: string) => test.set('content-type', contentType).send(body);

function expectError(res: request.Response, status: number, code: string, field?: string): void {
  // The whole body on failure says more than a bare status.
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual(
    expect.objectContaining({ statusCode: status, code, message: expect.any(String) }),
  );
  expect(res.body).not.toHaveProperty('stack');
  expect(res.body.message).not.toMatch(/\n\s+at /);
  if (field !== undefined) expect(res.body.message).toContain(field);
}

describe('bad input', () => {
  const ctx = {} as Ctx;
  let before: { counters: number; used: number; events: number };
  let catalogBefore: Record<string, number>;
  const catalogCounts = async () =>
    (
      await sql(
        ctx.t.databaseUrl,
        `SELECT (SELECT count(*)::int FROM features) AS features, (SELECT count(*)::int FROM plans) AS plans,
                (SELECT count(*)::int FROM plan_versions) AS "planVersions",
                (SELECT count(*)::int FROM customers) AS customers,
                (SELECT count(*)::int FROM subscriptions) AS subscriptions`,
      )
    )[0];

  beforeAll(async () => {
    ctx.t = await createTestApp();
    ctx.m = await meteredSubscription(ctx.t.baseUrl, { limit: 5 });
    ctx.unplanned = unique('unplanned');
    await ctx.t.http().post('/v1/features').send({ key: ctx.unplanned, name: 'Not in the plan' }).expect(201);
    // One accepted event, so that "unchanged" is checked against a counter that exists.
    await ctx.t
      .http()
      .post('/v1/usage')
      .send({ subscriptionId: ctx.m.subscriptionId, feature: ctx.m.feature, idempotencyKey: 'seed' })
      .expect(201);
    before = await databaseTotals(ctx.t.databaseUrl);
    catalogBefore = await catalogCounts();
  });
  afterAll(() => ctx.t.close());

  // Rest parameters on purpose: jest.each hands a `done` callback to a test function that declares
  // more parameters than its row has values, and rows without a field would then wait for it.
  const check = async (...[, send, status, code, field]: Case) => expectError(await send(ctx), status, code, field);

  const usage = (body: (c: Ctx) => unknown) => (c: Ctx) => c.t.http().post('/v1/usage').send(body(c) as object);
  const ok = (c: Ctx) => ({ subscriptionId: c.m.subscriptionId, feature: c.m.feature });
  const rawUsage = (contentType: string, body: (c: Ctx) => string) => (c: Ctx) =>
    raw(c.t.http().post('/v1/usage'), contentType, body(c));

  /**
   * [what, body, field named]: usage events malformed in themselves. POST /v1/usage answers each
   * 400 naming the field; POST /v1/usage/batch judges each `invalid`, naming it the same way: both
   * routes check events with one compiled validator (USAGE_EVENT).
   */
  type EventCase = [string, (c: Ctx) => unknown, string];
  const eventCases: EventCase[] = [
    ['empty object', () => ({}), 'subscriptionId'],
    ['no subscriptionId', (c) => ({ feature: c.m.feature }), 'subscriptionId'],
    ['no feature', (c) => ({ subscriptionId: c.m.subscriptionId }), 'feature'],
    ['subscriptionId a number', (c) => ({ ...ok(c), subscriptionId: 42 }), 'subscriptionId'],
    ['subscriptionId an object', (c) => ({ ...ok(c), subscriptionId: { id: 1 } }), 'subscriptionId'],
    ['subscriptionId too long', (c) => ({ ...ok(c), subscriptionId: 'a'.repeat(101) }), 'subscriptionId'],
    ['feature a number', (c) => ({ ...ok(c), feature: 7 }), 'feature'],
    ['feature an array', (c) => ({ ...ok(c), feature: [c.m.feature] }), 'feature'],
    ['feature empty', (c) => ({ ...ok(c), feature: '' }), 'feature'],
    ['quantity 0', (c) => ({ ...ok(c), quantity: 0 }), 'quantity'],
    ['quantity -1', (c) => ({ ...ok(c), quantity: -1 }), 'quantity'],
    ['quantity 1.5', (c) => ({ ...ok(c), quantity: 1.5 }), 'quantity'],
    ['quantity "5"', (c) => ({ ...ok(c), quantity: '5' }), 'quantity'],
    ['quantity true', (c) => ({ ...ok(c), quantity: true }), 'quantity'],
    ['quantity [1]', (c) => ({ ...ok(c), quantity: [1] }), 'quantity'],
    ['quantity 2^53', (c) => ({ ...ok(c), quantity: 2 ** 53 }), 'quantity'],
    ['idempotencyKey of 256 characters', (c) => ({ ...ok(c), idempotencyKey: 'k'.repeat(256) }), 'idempotencyKey'],
    ['idempotencyKey empty', (c) => ({ ...ok(c), idempotencyKey: '' }), 'idempotencyKey'],
    ['idempotencyKey a number', (c) => ({ ...ok(c), idempotencyKey: 12 }), 'idempotencyKey'],
    ['idempotencyKey with a NUL', (c) => ({ ...ok(c), idempotencyKey: 'a\u0000b' }), 'idempotencyKey'],
    ['feature with a NUL', (c) => ({ ...ok(c), feature: 'a\u0000b' }), 'feature'],
    // A lone surrogate is no character: stored, it became U+FFFD, so distinct keys collided.
    ['idempotencyKey with a lone high surrogate', (c) => ({ ...ok(c), idempotencyKey: 'k\ud800' }), 'idempotencyKey'],
    ['idempotencyKey with a lone low surrogate', (c) => ({ ...ok(c), idempotencyKey: 'k\udc00x' }), 'idempotencyKey'],
    ['feature with a lone surrogate', (c) => ({ ...ok(c), feature: '\udbffa' }), 'feature'],
    ['occurredAt not a date', (c) => ({ ...ok(c), occurredAt: 'yesterday' }), 'occurredAt'],
    ['occurredAt month 13', (c) => ({ ...ok(c), occurredAt: '2025-13-01T00:00:00Z' }), 'occurredAt'],
    ['occurredAt February 30', (c) => ({ ...ok(c), occurredAt: '2025-02-30T00:00:00Z' }), 'occurredAt'],
    ['occurredAt a number', (c) => ({ ...ok(c), occurredAt: 1735689600000 }), 'occurredAt'],
    ['occurredAt empty', (c) => ({ ...ok(c), occurredAt: '' }), 'occurredAt'],
    ['an unknown field', (c) => ({ ...ok(c), foo: 1 }), 'foo'],
    ['a field the server sets (used)', (c) => ({ ...ok(c), used: 0 }), 'used'],
    // Names Object.prototype has are unknown fields like any other, not "declared" by the prototype.
    ['toString as a field', (c) => ({ ...ok(c), toString: 'x' }), 'toString'],
    ['constructor as a field', (c) => ({ ...ok(c), constructor: 1 }), 'constructor'],
    ['hasOwnProperty as a field', (c) => ({ ...ok(c), hasOwnProperty: true }), 'hasOwnProperty'],
    ['valueOf as a field', (c) => ({ ...ok(c), valueOf: 0 }), 'valueOf'],
    ['isPrototypeOf as a field', (c) => ({ ...ok(c), isPrototypeOf: 'x' }), 'isPrototypeOf'],
    ['__defineGetter__ as a field', (c) => ({ ...ok(c), __defineGetter__: 'x' }), '__defineGetter__'],
    ['prototype as a field', (c) => ({ ...ok(c), prototype: 'x' }), 'prototype'],
    ['constructor (a string) as a field', (c) => ({ ...ok(c), constructor: 'x' }), 'constructor'],
  ];

  const usageCases: Case[] = [
    ...eventCases.map(([what, body, field]): Case => [what, usage(body), 400, 'validation_failed', field]),
    [
      'quantity 2^63 (JSON literal)',
      rawUsage('application/json', (c) => `{"subscriptionId":"${c.m.subscriptionId}","feature":"${c.m.feature}","quantity":9223372036854775808}`),
      400, 'validation_failed', 'quantity',
    ],
    [
      'quantity 1e400 (Infinity once parsed)',
      rawUsage('application/json', (c) => `{"subscriptionId":"${c.m.subscriptionId}","feature":"${c.m.feature}","quantity":1e400}`),
      400, 'validation_failed', 'quantity',
    ],
    ['body over 1 MB', usage((c) => ({ ...ok(c), idempotencyKey: 'x'.repeat(1024 * 1024 + 1) })), 413, 'payload_too_large'],
    ['occurredAt before the subscription start', usage((c) => ({ ...ok(c), occurredAt: '2020-01-01T00:00:00Z' })), 409, 'period_closed'],
    ['null body', rawUsage('application/json', () => 'null'), 400, 'validation_failed', 'body'],
    ['array body', usage((c) => [ok(c)]), 400, 'validation_failed', 'body'],
    ['string body', rawUsage('application/json', () => '"hello"'), 400, 'validation_failed', 'body'],
    ['number body', rawUsage('application/json', () => '5'), 400, 'validation_failed', 'body'],
    ['malformed JSON', rawUsage('application/json', () => '{"subscriptionId": '), 400, 'validation_failed'],
    ['empty JSON body', rawUsage('application/json', () => ''), 400, 'validation_failed'],
    ['__proto__ in the body', rawUsage('application/json', (c) => `{"feature":"${c.m.feature}","__proto__":{"x":1}}`), 400, 'validation_failed'],
    ['text/plain body', rawUsage('text/plain', (c) => JSON.stringify(ok(c))), 415, 'unsupported_media_type'],
    [
      'form-encoded body',
      rawUsage('application/x-www-form-urlencoded', (c) => `subscriptionId=${c.m.subscriptionId}&feature=${c.m.feature}`),
      415, 'unsupported_media_type',
    ],
    ['XML body', rawUsage('application/xml', () => '<usage/>'), 415, 'unsupported_media_type'],
    ['unknown subscription', usage((c) => ({ ...ok(c), subscriptionId: UNKNOWN_UUID })), 404, 'not_found'],
    ['subscriptionId not a uuid', usage((c) => ({ ...ok(c), subscriptionId: 'sub_123' })), 404, 'not_found'],
    ['unknown feature', usage((c) => ({ ...ok(c), feature: 'no-such-feature' })), 404, 'not_found'],
    ['feature not in the plan', usage((c) => ({ ...ok(c), feature: c.unplanned })), 404, 'not_found'],
  ];

  describe('POST /v1/usage', () => {
    it.each(usageCases)('%s', check);
  });

  describe('POST /v1/usage/batch: the same events, each judged invalid on its own', () => {
    it.each(eventCases)('%s', async (_, body, field) => {
      // Between two copies of the bad event, a good one for a feature not in the plan: judged
      // on its own (not_found), it is neither refused with them nor counted.
      const events = [body(ctx), { ...ok(ctx), feature: ctx.unplanned }, body(ctx)];
      const res = await ctx.t.http().post('/v1/usage/batch').send({ events });
      expect({ status: res.status, statuses: res.body.results?.map((r: any) => r.status) }).toEqual({
        status: 200,
        statuses: ['invalid', 'not_found', 'invalid'],
      });
      for (const result of [res.body.results[0], res.body.results[2]]) {
        expect(result.message).toContain(field);
        expect(result.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    });
  });

  describe('GET /v1/subscriptions/:id/usage', () => {
    const get = (path: (c: Ctx) => string) => (c: Ctx) => c.t.http().get(path(c)) as unknown as Test;
    const cases: Case[] = [
      ['at not a date', get((c) => `/v1/subscriptions/${c.m.subscriptionId}/usage?at=garbage`), 400, 'validation_failed', 'at'],
      ['at empty', get((c) => `/v1/subscriptions/${c.m.subscriptionId}/usage?at=`), 400, 'validation_failed', 'at'],
      ['at February 30', get((c) => `/v1/subscriptions/${c.m.subscriptionId}/usage?at=2025-02-30T00:00:00Z`), 400, 'validation_failed', 'at'],
      ['unknown subscription', get(() => `/v1/subscriptions/${UNKNOWN_UUID}/usage`), 404, 'not_found'],
      ['subscription id not a uuid', get(() => '/v1/subscriptions/abc/usage'), 404, 'not_found'],
    ];
    it.each(cases)('%s', check);
  });

  describe('POST /v1/features', () => {
    const post = (body: (c: Ctx) => unknown) => (c: Ctx) => c.t.http().post('/v1/features').send(body(c) as object);
    const good = () => ({ key: unique('f'), name: 'Feature' });
    const cases: Case[] = [
      ['empty object', post(() => ({})), 400, 'validation_failed', 'key'],
      ['no name', post(() => ({ key: unique('f') })), 400, 'validation_failed', 'name'],
      ['key with a space', post(() => ({ ...good(), key: 'api calls' })), 400, 'validation_failed', 'key'],
      ['key starting with a dash', post(() => ({ ...good(), key: '-calls' })), 400, 'validation_failed', 'key'],
      ['key of 101 characters', post(() => ({ ...good(), key: 'k'.repeat(101) })), 400, 'validation_failed', 'key'],
      ['key a number', post(() => ({ ...good(), key: 5 })), 400, 'validation_failed', 'key'],
      ['name empty', post(() => ({ ...good(), name: '' })), 400, 'validation_failed', 'name'],
      ['name of 256 characters', post(() => ({ ...good(), name: 'n'.repeat(256) })), 400, 'validation_failed', 'name'],
      ['name with a NUL', post(() => ({ ...good(), name: 'a\u0000' })), 400, 'validation_failed', 'name'],
      ['strategy unknown', post(() => ({ ...good(), strategy: 'lazy' })), 400, 'validation_failed', 'strategy'],
      ['strategy a number', post(() => ({ ...good(), strategy: 1 })), 400, 'validation_failed', 'strategy'],
      ['an unknown field', post(() => ({ ...good(), unit: 'calls' })), 400, 'validation_failed', 'unit'],
      ['toString as a field', post(() => ({ ...good(), toString: 'x' })), 400, 'validation_failed', 'toString'],
      ['valueOf as a field', post(() => ({ ...good(), valueOf: 1 })), 400, 'validation_failed', 'valueOf'],
      ['array body', post(() => [good()]), 400, 'validation_failed', 'body'],
      ['duplicate key', post((c) => ({ key: c.m.feature, name: 'Again' })), 409, 'already_exists'],
    ];
    it.each(cases)('%s', check);
    it('GET of an unknown feature is 404', async () => {
      expectError(await ctx.t.http().get('/v1/features/no-such-feature'), 404, 'not_found');
    });
    it('GET with a NUL in the key is 400, not a 500', async () => {
      expectError(await ctx.t.http().get('/v1/features/a%00b'), 400, 'validation_failed', 'key');
    });
  });

  describe('POST /v1/plans', () => {
    const post = (body: (c: Ctx) => unknown) => (c: Ctx) => c.t.http().post('/v1/plans').send(body(c) as object);
    const good = (c: Ctx) => ({
      key: unique('p'),
      name: 'Plan',
      currency: 'USD',
      interval: 'month',
      charges: [{ feature: c.m.feature, limit: 10 }],
    });
    const charge = (c: Ctx, extra: object) => ({ ...good(c), charges: [{ feature: c.m.feature, ...extra }] });
    const cases: Case[] = [
      ['empty object', post(() => ({})), 400, 'validation_failed', 'key'],
      ['currency lower case', post((c) => ({ ...good(c), currency: 'usd' })), 400, 'validation_failed', 'currency'],
      ['currency not ISO 4217', post((c) => ({ ...good(c), currency: 'ABC' })), 400, 'validation_failed', 'currency'],
      ['currency without a minor unit (XXX)', post((c) => ({ ...good(c), currency: 'XXX' })), 400, 'validation_failed', 'currency'],
      ['currency a number', post((c) => ({ ...good(c), currency: 840 })), 400, 'validation_failed', 'currency'],
      ['no currency', post((c) => ({ ...good(c), currency: undefined })), 400, 'validation_failed', 'currency'],
      ['interval "monthly"', post((c) => ({ ...good(c), interval: 'monthly' })), 400, 'validation_failed', 'interval'],
      ['interval a number', post((c) => ({ ...good(c), interval: 30 })), 400, 'validation_failed', 'interval'],
      ['no interval', post((c) => ({ ...good(c), interval: undefined })), 400, 'validation_failed', 'interval'],
      ['no charges', post((c) => ({ ...good(c), charges: undefined })), 400, 'validation_failed', 'charges'],
      ['charges an object', post((c) => ({ ...good(c), charges: { feature: c.m.feature } })), 400, 'validation_failed', 'charges'],
      ['a charge that is a string', post((c) => ({ ...good(c), charges: [c.m.feature] })), 400, 'validation_failed', 'charges[0]'],
      ['a charge that is null', post((c) => ({ ...good(c), charges: [null] })), 400, 'validation_failed', 'charges[0]'],
      ['a charge without feature', post((c) => ({ ...good(c), charges: [{ limit: 1 }] })), 400, 'validation_failed', 'charges[0].feature'],
      ['limit -1', post((c) => charge(c, { limit: -1 })), 400, 'validation_failed', 'charges[0].limit'],
      ['limit 1.5', post((c) => charge(c, { limit: 1.5 })), 400, 'validation_failed', 'charges[0].limit'],
      ['limit "10"', post((c) => charge(c, { limit: '10' })), 400, 'validation_failed', 'charges[0].limit'],
      ['limit 2^53', post((c) => charge(c, { limit: 2 ** 53 })), 400, 'validation_failed', 'charges[0].limit'],
      ['pricing a string', post((c) => charge(c, { pricing: 'per_unit' })), 400, 'validation_failed', 'charges[0].pricing'],
      ['pricing an array', post((c) => charge(c, { pricing: [] })), 400, 'validation_failed', 'charges[0].pricing'],
      ['pricing of an unknown model', post((c) => charge(c, { pricing: { model: 'bogus' } })), 400, 'validation_failed', 'charges[0].pricing'],
      [
        'pricing with a float price',
        post((c) => charge(c, { pricing: { model: 'per_unit', unitPrice: 0.1 } })),
        400, 'validation_failed', 'charges[0].pricing',
      ],
      ['baseFee a number', post((c) => ({ ...good(c), baseFee: 49.99 })), 400, 'validation_failed', 'baseFee'],
      ['baseFee negative', post((c) => ({ ...good(c), baseFee: '-1' })), 400, 'validation_failed', 'baseFee'],
      ['baseFee not a number', post((c) => ({ ...good(c), baseFee: 'ten' })), 400, 'validation_failed', 'baseFee'],
      ['baseFee in exponent notation', post((c) => ({ ...good(c), baseFee: '1e3' })), 400, 'validation_failed', 'baseFee'],
      ['baseFee with 13 decimals', post((c) => ({ ...good(c), baseFee: '1.0000000000001' })), 400, 'validation_failed', 'baseFee'],
      ['baseFee of 19 digits', post((c) => ({ ...good(c), baseFee: '1'.repeat(19) })), 400, 'validation_failed', 'baseFee'],
      ['a feature charged twice', post((c) => ({ ...good(c), charges: [{ feature: c.m.feature }, { feature: c.m.feature }] })), 400, 'validation_failed', 'charges[1].feature'],
      ['an unknown field', post((c) => ({ ...good(c), trial: 14 })), 400, 'validation_failed', 'trial'],
      ['an unknown field in a charge', post((c) => charge(c, { max: 5 })), 400, 'validation_failed', 'charges[0].max'],
      ['toString in a charge', post((c) => charge(c, { toString: 'x' })), 400, 'validation_failed', 'charges[0].toString'],
      ['constructor as a field', post((c) => ({ ...good(c), constructor: 'x' })), 400, 'validation_failed', 'constructor'],
      ['key with a slash', post((c) => ({ ...good(c), key: 'a/b' })), 400, 'validation_failed', 'key'],
      ['a charge for an unknown feature', post((c) => ({ ...good(c), charges: [{ feature: 'no-such-feature' }] })), 404, 'not_found', 'charges[0].feature'],
      ['duplicate key', post((c) => ({ ...good(c), key: c.m.planKey })), 409, 'already_exists'],
    ];
    it.each(cases)('%s', check);
    it('GET of an unknown plan is 404', async () => {
      expectError(await ctx.t.http().get('/v1/plans/no-such-plan'), 404, 'not_found');
    });
  });

  describe('PATCH /v1/plans/:key', () => {
    const patch = (ifMatch: string | undefined, body: (c: Ctx) => unknown, key?: string) => (c: Ctx) => {
      const req = c.t.http().patch(`/v1/plans/${key ?? c.m.planKey}`);
      return (ifMatch === undefined ? req : req.set('if-match', ifMatch)).send(body(c) as object);
    };
    const cases: Case[] = [
      ['no If-Match', patch(undefined, () => ({ name: 'Renamed' })), 428, 'precondition_required'],
      ['a stale If-Match', patch('"7"', () => ({ name: 'Renamed' })), 412, 'version_mismatch'],
      ['an If-Match that is no version', patch('"abc"', () => ({ name: 'Renamed' })), 412, 'version_mismatch'],
      ['currency (fixed for life)', patch('"1"', () => ({ currency: 'EUR' })), 400, 'validation_failed', 'currency'],
      ['interval (fixed for life)', patch('"1"', () => ({ interval: 'day' })), 400, 'validation_failed', 'interval'],
      ['baseFee a number', patch('"1"', () => ({ baseFee: 5 })), 400, 'validation_failed', 'baseFee'],
      ['name empty', patch('"1"', () => ({ name: '' })), 400, 'validation_failed', 'name'],
      ['limit -1', patch('"1"', (c) => ({ charges: [{ feature: c.m.feature, limit: -1 }] })), 400, 'validation_failed', 'charges[0].limit'],
      ['pricing invalid', patch('"1"', (c) => ({ charges: [{ feature: c.m.feature, pricing: { model: 'x' } }] })), 400, 'validation_failed', 'charges[0].pricing'],
      ['a charge for an unknown feature', patch('"1"', () => ({ charges: [{ feature: 'no-such-feature' }] })), 404, 'not_found'],
      ['array body', patch('"1"', () => [{ name: 'x' }]), 400, 'validation_failed', 'body'],
      ['an unknown plan', patch('"1"', () => ({ name: 'x' }), 'no-such-plan'), 404, 'not_found'],
    ];
    it.each(cases)('%s', check);
    it('left the plan at version 1, unchanged', async () => {
      const res = await ctx.t.http().get(`/v1/plans/${ctx.m.planKey}`).expect(200);
      expect(res.body).toMatchObject({ version: 1, name: 'Plan', charges: [{ feature: ctx.m.feature, limit: 5 }] });
      expect(res.headers.etag).toBe('"1"');
    });
  });

  describe('POST /v1/customers', () => {
    const post = (body: (c: Ctx) => unknown) => (c: Ctx) => c.t.http().post('/v1/customers').send(body(c) as object);
    const good = () => ({ externalId: unique('c'), name: 'Customer' });
    const cases: Case[] = [
      ['empty object', post(() => ({})), 400, 'validation_failed', 'externalId'],
      ['externalId empty', post(() => ({ ...good(), externalId: '' })), 400, 'validation_failed', 'externalId'],
      ['externalId of 256 characters', post(() => ({ ...good(), externalId: 'e'.repeat(256) })), 400, 'validation_failed', 'externalId'],
      ['externalId a number', post(() => ({ ...good(), externalId: 1001 })), 400, 'validation_failed', 'externalId'],
      ['externalId with a NUL', post(() => ({ ...good(), externalId: 'a\u0000b' })), 400, 'validation_failed', 'externalId'],
      ['no name', post(() => ({ externalId: unique('c') })), 400, 'validation_failed', 'name'],
      ['email malformed', post(() => ({ ...good(), email: 'not-an-email' })), 400, 'validation_failed', 'email'],
      ['email with a lone surrogate', post(() => ({ ...good(), email: '\ud800@x.co' })), 400, 'validation_failed', 'email'],
      ['name nested 1,500 arrays deep', post(() => ({ ...good(), name: JSON.parse('['.repeat(1500) + ']'.repeat(1500)) })), 400, 'validation_failed', 'name'],
      ['a field nested 4,000 objects deep', post(() => ({ ...good(), extra: JSON.parse('{"a":'.repeat(4000) + '1' + '}'.repeat(4000)) })), 400, 'validation_failed', 'extra'],
      ['email a number', post(() => ({ ...good(), email: 5 })), 400, 'validation_failed', 'email'],
      ['an unknown field', post(() => ({ ...good(), plan: 'pro' })), 400, 'validation_failed', 'plan'],
      ['hasOwnProperty as a field', post(() => ({ ...good(), hasOwnProperty: 'x' })), 400, 'validation_failed', 'hasOwnProperty'],
      ['__defineGetter__ as a field', post(() => ({ ...good(), __defineGetter__: 'x' })), 400, 'validation_failed', '__defineGetter__'],
      ['prototype as a field', post(() => ({ ...good(), prototype: 'x' })), 400, 'validation_failed', 'prototype'],
      ['duplicate externalId', post((c) => ({ externalId: c.m.customerExternalId, name: 'Again' })), 409, 'already_exists'],
    ];
    it.each(cases)('%s', check);
    it('GET of an unknown customer is 404', async () => {
      expectError(await ctx.t.http().get('/v1/customers/no-such-customer'), 404, 'not_found');
    });
  });

  describe('POST /v1/subscriptions', () => {
    const post = (body: (c: Ctx) => unknown) => (c: Ctx) => c.t.http().post('/v1/subscriptions').send(body(c) as object);
    const good = (c: Ctx) => ({ customerExternalId: c.m.customerExternalId, planKey: c.m.planKey });
    const cases: Case[] = [
      ['empty object', post(() => ({})), 400, 'validation_failed', 'customerExternalId'],
      ['no planKey', post((c) => ({ customerExternalId: c.m.customerExternalId })), 400, 'validation_failed', 'planKey'],
      ['customerExternalId a number', post((c) => ({ ...good(c), customerExternalId: 5 })), 400, 'validation_failed', 'customerExternalId'],
      ['planKey malformed', post((c) => ({ ...good(c), planKey: 'pro plan' })), 400, 'validation_failed', 'planKey'],
      ['startAt not a date', post((c) => ({ ...good(c), startAt: 'tomorrow' })), 400, 'validation_failed', 'startAt'],
      ['startAt February 30', post((c) => ({ ...good(c), startAt: '2025-02-30T00:00:00Z' })), 400, 'validation_failed', 'startAt'],
      ['startAt a number', post((c) => ({ ...good(c), startAt: 1735689600000 })), 400, 'validation_failed', 'startAt'],
      ['startAt empty', post((c) => ({ ...good(c), startAt: '' })), 400, 'validation_failed', 'startAt'],
      ['an unknown field', post((c) => ({ ...good(c), quantity: 3 })), 400, 'validation_failed', 'quantity'],
      ['isPrototypeOf as a field', post((c) => ({ ...good(c), isPrototypeOf: 'x' })), 400, 'validation_failed', 'isPrototypeOf'],
      ['unknown customer', post((c) => ({ ...good(c), customerExternalId: 'no-such-customer' })), 404, 'not_found'],
      ['unknown plan', post((c) => ({ ...good(c), planKey: 'no-such-plan' })), 404, 'not_found'],
    ];
    it.each(cases)('%s', check);
    it.each([UNKNOWN_UUID, 'abc'])('GET of subscription %s is 404', async (id) => {
      expectError(await ctx.t.http().get(`/v1/subscriptions/${id}`), 404, 'not_found');
    });
  });

  /**
   * What Node's HTTP parser or Fastify's router refuse before any route sees the request: answered
   * in the contract's error body all the same. Sent byte for byte (rawRequest).
   */
  describe('before routing', () => {
    const request = (head: string) => `${head}\r\nConnection: close\r\n\r\n`;
    const usageHead = 'POST /v1/usage HTTP/1.1\r\nHost: t\r\nContent-Type: application/json';
    type RawCase = [string, (c: Ctx) => (string | Buffer)[], number, string];
    const cases: RawCase[] = [
      ['a bad chunk size', () => [`${usageHead}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`], 400, 'validation_failed'],
      ['Content-Length with Transfer-Encoding', () => [`${usageHead}\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`], 400, 'validation_failed'],
      ['two Content-Lengths', () => [`${usageHead}\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}`], 400, 'validation_failed'],
      ['a negative Content-Length', () => [request(`${usageHead}\r\nContent-Length: -1`)], 400, 'validation_failed'],
      ['an unknown method', () => [request('BREW /v1/features HTTP/1.1\r\nHost: t')], 400, 'validation_failed'],
      ['a header name with a space', () => [request('GET /v1/features/x HTTP/1.1\r\nHost: t\r\nBad Header: 1')], 400, 'validation_failed'],
      ['a NUL in a header', () => [request('GET /v1/features/x HTTP/1.1\r\nHost: t\r\nX-A: a\u0000b')], 400, 'validation_failed'],
      ['bare LF line ends', () => ['GET /v1/features/x HTTP/1.1\nHost: t\nConnection: close\n\n'], 400, 'validation_failed'],
      ['non-ASCII in the URL', () => [request('GET /v1/f\u00e9atures/x HTTP/1.1\r\nHost: t')], 400, 'validation_failed'],
      ['headers over 16 KB', () => [request(`GET /v1/features/x HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(20_000)}`)], 431, 'validation_failed'],
      ['no Host', () => [request('GET /v1/features/x HTTP/1.1')], 400, 'validation_failed'],
      ['Expect: bogus', () => [`${usageHead}\r\nExpect: bogus\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`], 417, 'validation_failed'],
      ['%ff in the path', () => [request('GET /v1/features/%ff HTTP/1.1\r\nHost: t')], 400, 'validation_failed'],
      ['%zz in the path', () => [request('GET /v1/features/%zz HTTP/1.1\r\nHost: t')], 400, 'validation_failed'],
      ['an overlong UTF-8 slash (%c0%af) in the path', () => [request('GET /v1/%c0%af HTTP/1.1\r\nHost: t')], 400, 'validation_failed'],
      ['a path parameter over 100 characters', () => [request(`GET /v1/features/${'a'.repeat(600)} HTTP/1.1\r\nHost: t`)], 414, 'validation_failed'],
      ['/docs/../v1/invoices', () => [request('GET /docs/../v1/invoices HTTP/1.1\r\nHost: t')], 404, 'not_found'],
    ];
    // Invalid UTF-8 in a chunked body: decoded leniently, three different keys were one (U+FFFD).
    for (const [name, byte] of [['\\xff', 0xff], ['\\xfe', 0xfe], ['\\x80', 0x80]] as const) {
      cases.push([
        `chunked body with ${name} in idempotencyKey`,
        (c) => [
          `${usageHead}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
          oneChunk(
            Buffer.concat([
              Buffer.from(`{"subscriptionId":"${c.m.subscriptionId}","feature":"${c.m.feature}","idempotencyKey":"A`),
              Buffer.from([byte]),
              Buffer.from('B"}'),
            ]),
          ),
        ],
        400,
        'validation_failed',
      ]);
    }
    it.each(cases)('%s', async (_, parts, status, code) => {
      const res = await rawRequest(ctx.t.baseUrl, ...parts(ctx));
      expect({ status: res.status, body: res.body }).toEqual({
        status,
        body: { statusCode: status, code, message: expect.any(String) },
      });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });
    it('names UTF-8 when a body is not valid UTF-8', async () => {
      const res = await rawRequest(ctx.t.baseUrl, ...cases[cases.length - 1][1](ctx));
      expect(res.body.message).toMatch(/UTF-8/);
    });
  });

  it('an unknown route is a 404 of the same shape', async () => {
    expectError(await ctx.t.http().get('/v1/nothing'), 404, 'not_found');
  });

  // Runs after the tables (jest keeps declaration order within a file): they counted nothing.
  it('counted nothing and created nothing', async () => {
    expect(await databaseTotals(ctx.t.databaseUrl)).toEqual(before);
    expect(before).toEqual({ counters: 1, used: 1, events: 1 });
    expect(await catalogCounts()).toEqual(catalogBefore);
  });

  /**
   * null is not absent: quantity is "a whole number ≥ 1", idempotencyKey a string of up to 255
   * characters, occurredAt an ISO-8601 timestamp. null is none of them, so it is malformed (400),
   * not silently a default — an occurredAt of null used to be read as 1970 and answered 409.
   */
  describe('null in an optional POST /v1/usage field', () => {
    const cases: Case[] = [
      ['quantity null', usage((c) => ({ ...ok(c), quantity: null })), 400, 'validation_failed', 'quantity'],
      ['idempotencyKey null', usage((c) => ({ ...ok(c), idempotencyKey: null })), 400, 'validation_failed', 'idempotencyKey'],
      ['occurredAt null', usage((c) => ({ ...ok(c), occurredAt: null })), 400, 'validation_failed', 'occurredAt'],
    ];
    let totals: { counters: number; used: number; events: number };
    beforeAll(async () => {
      totals = await databaseTotals(ctx.t.databaseUrl);
    });
    it.each(cases)('%s', check);
    it('counted nothing', async () => {
      expect(await databaseTotals(ctx.t.databaseUrl)).toEqual(totals);
    });
  });
});
