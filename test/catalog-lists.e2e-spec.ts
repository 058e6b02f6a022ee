import { DAY_MS, iso, unique } from './support/fixtures';
import { postJson, send } from './support/http';
import { expectEachOnce, forgedCursor, walkPages } from './support/pages';
import { TestApp, createTestApp } from './support/test-app';
import { sql } from './support/test-database';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('catalog lists', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const post = (path: string, body: unknown) => postJson(t.baseUrl, path, body);
  const createOk = async (path: string, body: unknown) => {
    const res = await post(path, body);
    expect({ path, status: res.status, body: res.body }).toMatchObject({ path, status: 201 });
    return res.body;
  };
  const plan = (key: string) => ({ key, name: 'Plan', currency: 'USD', interval: 'month', charges: [] });

  /** Keys of one list sort by key (the database's collation): compare them in that order. */
  const expectSortedBy = async (values: string[]) => {
    const [{ sorted }] = await sql(t.databaseUrl, 'SELECT array_agg(v ORDER BY v) AS sorted FROM unnest($1::text[]) v', [values]);
    expect(values).toEqual(sorted);
  };

  describe('GET /v1/features', () => {
    it('walks every feature once, by key, while others are created between and during the pages', async () => {
      const prefix = unique('f');
      const existing = Array.from({ length: 41 }, (_, i) => `${prefix}-${String(i * 10).padStart(3, '0')}`);
      for (const key of existing) await createOk('/v1/features', { key, name: key });
      const one = await send(t.baseUrl, 'GET', `/v1/features/${existing[0]}`);

      // New keys fall between the existing ones, before and after wherever the walk is.
      const { items, pages, inserted } = await walkPages(t.baseUrl, '/v1/features', {}, {
        limit: 4,
        insert: (n) => createOk('/v1/features', { key: `${prefix}-${String((n * 7) % 400).padStart(3, '0')}5`, name: 'new' }),
      });
      expect(pages).toBeGreaterThan(10);
      expect(inserted).toBeGreaterThan(30);
      expectEachOnce(items, existing, (f) => f.key);
      await expectSortedBy(items.map((f) => f.key));
      // The items are the single GET's.
      expect(items.find((f) => f.key === existing[0])).toEqual(one.body);
    });
  });

  describe('GET /v1/plans', () => {
    it('walks every plan once, by key, each as GET /v1/plans/:key answers it', async () => {
      const prefix = unique('p');
      const feature = await createOk('/v1/features', { key: unique('plan-feature'), name: 'Feature' });
      const existing = Array.from({ length: 23 }, (_, i) => `${prefix}-${String(i * 10).padStart(3, '0')}`);
      for (const key of existing) {
        await createOk('/v1/plans', { ...plan(key), charges: [{ feature: feature.key, limit: 5, pricing: { model: 'per_unit', unitPrice: '0.1' } }] });
      }
      const { items, pages } = await walkPages(t.baseUrl, '/v1/plans', {}, {
        limit: 3,
        insert: (n) => createOk('/v1/plans', plan(`${prefix}-${String((n * 7) % 230).padStart(3, '0')}5`)),
      });
      expect(pages).toBeGreaterThan(7);
      expectEachOnce(items, existing, (p) => p.key);
      await expectSortedBy(items.map((p) => p.key));
      const one = await send(t.baseUrl, 'GET', `/v1/plans/${existing[5]}`);
      expect(items.find((p) => p.key === existing[5])).toEqual(one.body);
      expect(one.body.charges).toEqual([{ feature: feature.key, limit: 5, pricing: { model: 'per_unit', unitPrice: '0.1' }, alerts: [] }]);
    });
  });

  describe('GET /v1/customers', () => {
    it('walks every customer once, by externalId, while others are created', async () => {
      const prefix = unique('c');
      const existing = Array.from({ length: 31 }, (_, i) => `${prefix}-${String(i * 10).padStart(3, '0')}`);
      for (const externalId of existing) await createOk('/v1/customers', { externalId, name: 'Customer' });
      const { items } = await walkPages(t.baseUrl, '/v1/customers', {}, {
        limit: 5,
        insert: (n) => createOk('/v1/customers', { externalId: `${prefix}-${String((n * 7) % 310).padStart(3, '0')}5`, name: 'New' }),
      });
      expectEachOnce(items, existing, (c) => c.externalId);
      await expectSortedBy(items.map((c) => c.externalId));
      const one = await send(t.baseUrl, 'GET', `/v1/customers/${existing[3]}`);
      expect(items.find((c) => c.externalId === existing[3])).toEqual(one.body);
    });

    it('filters by e-mail exactly', async () => {
      const email = `${unique('billing')}@example.com`;
      const ids = [unique('c-b'), unique('c-a'), unique('c-c')];
      await createOk('/v1/customers', { externalId: ids[0], name: 'B', email });
      await createOk('/v1/customers', { externalId: ids[1], name: 'A', email });
      await createOk('/v1/customers', { externalId: ids[2], name: 'C', email: `other.${email}` });
      const { items } = await walkPages(t.baseUrl, '/v1/customers', { email }, { limit: 1 });
      expect(items.map((c) => c.externalId)).toEqual([ids[1], ids[0]].sort(byText));
      expect(items.every((c) => c.email === email)).toBe(true);
      // Exactly: another case is another address here, as it is stored.
      const upper = await send(t.baseUrl, 'GET', `/v1/customers?email=${encodeURIComponent(email.toUpperCase())}`);
      expect(upper.body).toEqual({ data: [], nextCursor: null });
    });
  });

  describe('GET /v1/subscriptions', () => {
    it('walks newest first, every subscription once, across equal created_at, while others are created', async () => {
      const customer = unique('sub-walk');
      const planKey = unique('sub-walk-plan');
      await createOk('/v1/customers', { externalId: customer, name: 'Walker' });
      await createOk('/v1/plans', plan(planKey));
      const existing: string[] = [];
      for (let i = 0; i < 30; i++) existing.push((await createOk('/v1/subscriptions', { customerExternalId: customer, planKey })).id);
      // Imported in three batches: ten subscriptions share each instant, to the microsecond, so
      // only the id orders them, and a cursor rounded to the millisecond would skip rows.
      for (const [i, at] of ['2025-03-01T10:00:00.123456Z', '2025-03-01T10:00:00.123789Z', '2025-03-01T10:00:00.124001Z'].entries()) {
        await sql(t.databaseUrl, 'UPDATE subscriptions SET created_at = $1 WHERE id = ANY($2::uuid[])', [at, existing.slice(i * 10, i * 10 + 10)]);
      }
      const create = () => createOk('/v1/subscriptions', { customerExternalId: customer, planKey });
      for (const query of [{ customerExternalId: customer }, {}]) {
        const { items, pages } = await walkPages(t.baseUrl, '/v1/subscriptions', query, { limit: 4, insert: create });
        expect(pages).toBeGreaterThan(7);
        expectEachOnce(items, existing);
        // Newest first: the imported ones after everything created since, each batch by id descending.
        const imported = items.filter((s) => existing.includes(s.id)).map((s) => s.id);
        const expected = [2, 1, 0].flatMap((i) => existing.slice(i * 10, i * 10 + 10).sort(byText).reverse());
        expect(imported).toEqual(expected);
      }
      const one = await send(t.baseUrl, 'GET', `/v1/subscriptions/${existing[0]}`);
      const { items } = await walkPages(t.baseUrl, '/v1/subscriptions', { customerExternalId: customer }, { limit: 100 });
      expect(items.find((s) => s.id === existing[0])).toEqual(one.body);
    });

    it('filters by customer, plan and status: active, cancelled (its end ahead), ended', async () => {
      const [alice, bob] = [unique('alice'), unique('bob')];
      const [basic, pro] = [unique('basic'), unique('pro')];
      for (const externalId of [alice, bob]) await createOk('/v1/customers', { externalId, name: externalId });
      for (const key of [basic, pro]) await createOk('/v1/plans', plan(key));
      const subscribe = async (customerExternalId: string, planKey: string) =>
        (await createOk('/v1/subscriptions', { customerExternalId, planKey, startAt: iso(Date.now() - DAY_MS) })).id as string;
      const aliceBasicActive = await subscribe(alice, basic);
      const aliceProCancelled = await subscribe(alice, pro);
      const aliceBasicEnded = await subscribe(alice, basic);
      const bobProActive = await subscribe(bob, pro);
      const bobBasicEnded = await subscribe(bob, basic);
      const cancel = async (id: string, at: string) => expect((await post(`/v1/subscriptions/${id}/cancel`, { at })).status).toBe(200);
      await cancel(aliceProCancelled, 'period_end');
      await cancel(aliceBasicEnded, 'now');
      await cancel(bobBasicEnded, 'now');

      const ids = async (query: Record<string, string>) =>
        (await walkPages(t.baseUrl, '/v1/subscriptions', query, { limit: 2 })).items.map((s) => s.id);
      expect(await ids({ customerExternalId: alice })).toEqual([aliceBasicEnded, aliceProCancelled, aliceBasicActive]);
      expect(await ids({ planKey: pro })).toEqual([bobProActive, aliceProCancelled]);
      expect(await ids({ customerExternalId: alice, planKey: basic })).toEqual([aliceBasicEnded, aliceBasicActive]);
      expect(await ids({ customerExternalId: alice, status: 'active' })).toEqual([aliceBasicActive]);
      expect(await ids({ customerExternalId: alice, status: 'cancelled' })).toEqual([aliceProCancelled]);
      expect(await ids({ planKey: basic, status: 'ended' })).toEqual([bobBasicEnded, aliceBasicEnded]);
      expect(await ids({ planKey: basic, status: 'active' })).toEqual([aliceBasicActive]);
      expect(await ids({ customerExternalId: unique('nobody') })).toEqual([]);

      // The status of each is the one its single GET shows.
      for (const [id, status] of [
        [aliceBasicActive, 'active'],
        [aliceProCancelled, 'cancelled'],
        [aliceBasicEnded, 'ended'],
      ]) {
        expect((await send(t.baseUrl, 'GET', `/v1/subscriptions/${id}`)).body.status).toBe(status);
      }
    });
  });

  describe('bad paging and filters', () => {
    const LISTS = ['/v1/features', '/v1/plans', '/v1/customers', '/v1/subscriptions'];
    let featuresCursor: string;
    let customersCursor: string;

    beforeAll(async () => {
      for (let i = 0; i < 2; i++) {
        await createOk('/v1/features', { key: unique('cursor-f'), name: 'F' });
        await createOk('/v1/customers', { externalId: unique('cursor-c'), name: 'C' });
      }
      featuresCursor = (await send(t.baseUrl, 'GET', '/v1/features?limit=1')).body.nextCursor;
      customersCursor = (await send(t.baseUrl, 'GET', '/v1/customers?limit=1')).body.nextCursor;
      expect([typeof featuresCursor, typeof customersCursor]).toEqual(['string', 'string']);
    });

    const expectRefused = async (path: string, field: string) => {
      const res = await send(t.baseUrl, 'GET', path);
      expect({ path, status: res.status, body: res.body }).toEqual({
        path,
        status: 400,
        body: { statusCode: 400, code: 'validation_failed', message: expect.stringContaining(field), errors: [expect.objectContaining({ field })] },
      });
    };

    it.each(LISTS)('%s refuses limit 0, 101, x, 1.5 and -1', async (list) => {
      for (const limit of ['0', '101', 'x', '1.5', '-1', '']) await expectRefused(`${list}?limit=${limit}`, 'limit');
    });

    it.each(LISTS)('%s refuses a tampered, foreign or made-up cursor', async (list) => {
      const foreign = list === '/v1/features' ? customersCursor : featuresCursor;
      const cursors = [
        foreign,
        'garbage',
        '!!!not-base64!!!',
        Buffer.from('not json at all').toString('base64url'),
        forgedCursor({ list: 'features' }),
        forgedCursor([]),
        forgedCursor(['features']),
        forgedCursor(['customers']),
        forgedCursor(['features', 42]),
        forgedCursor(['customers', null]),
        forgedCursor(['plans', 'a\u0000b']),
        forgedCursor(['features', 'x', 'extra']),
        forgedCursor(['subscriptions', 123, 'not-a-uuid']),
        forgedCursor(['subscriptions', '2025-02-30T00:00:00Z', '00000000-0000-4000-8000-000000000000']),
        forgedCursor(['subscriptions', '0000-01-01T00:00:00Z', '00000000-0000-4000-8000-000000000000']),
        forgedCursor(['subscriptions', '2025-02-01 00:00:00', '00000000-0000-4000-8000-000000000000']),
        forgedCursor(['invoices', '2025-02-01T00:00:00Z', '00000000-0000-4000-8000-000000000000']),
        featuresCursor.slice(0, -2),
        'x'.repeat(5000),
      ];
      for (const cursor of cursors) await expectRefused(`${list}?cursor=${encodeURIComponent(cursor)}`, 'cursor');
    });

    it('refuses unknown filters and filter values, naming them', async () => {
      await expectRefused('/v1/subscriptions?status=foo', 'status');
      await expectRefused('/v1/subscriptions?status=', 'status');
      await expectRefused('/v1/subscriptions?planKey=bad%20key', 'planKey');
      await expectRefused('/v1/customers?email=not-an-email', 'email');
      await expectRefused('/v1/features?colour=blue', 'colour');
      await expectRefused('/v1/plans?email=a@example.com', 'email');
    });

    it('answers an empty list as data [] and nextCursor null, and the last page with nextCursor null', async () => {
      const empty = await send(t.baseUrl, 'GET', `/v1/customers?email=${unique('none')}@example.com`);
      expect(empty.body).toEqual({ data: [], nextCursor: null });
      const all = await send(t.baseUrl, 'GET', '/v1/plans?limit=100');
      expect(all.body.nextCursor).toBeNull();
      const defaultPage = await send(t.baseUrl, 'GET', '/v1/features');
      expect(defaultPage.body.data).toHaveLength(20);
      expect(typeof defaultPage.body.nextCursor).toBe('string');
    });
  });
});
