import { unique } from './support/fixtures';
import { send } from './support/http';
import { TestApp, createTestApp } from './support/test-app';

describe('catalog edits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const patch = (path: string, body: unknown) => send(t.baseUrl, 'PATCH', path, body);
  const get = async (path: string) => (await send(t.baseUrl, 'GET', path)).body;

  /** 400 validation_failed in the contract body, naming `field`, and the thing unchanged. */
  const expectRefused = async (path: string, body: unknown, field: string) => {
    const before = await get(path);
    const res = await patch(path, body);
    expect({ body: JSON.stringify(body), status: res.status, answer: res.body }).toEqual({
      body: JSON.stringify(body),
      status: 400,
      answer: { statusCode: 400, code: 'validation_failed', message: expect.stringContaining(field), errors: expect.arrayContaining([expect.objectContaining({ field })]) },
    });
    expect(await get(path)).toEqual(before);
  };

  describe('PATCH /v1/customers/:externalId', () => {
    let externalId: string;
    let path: string;
    let created: any;
    beforeAll(async () => {
      externalId = unique('edit-customer');
      path = `/v1/customers/${externalId}`;
      created = (await send(t.baseUrl, 'POST', '/v1/customers', { externalId, name: 'Acme', email: 'old@example.com' })).body;
    });

    it('changes what is sent and nothing else, answering the customer as GET does', async () => {
      const renamed = await patch(path, { name: 'Acme Inc.' });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toEqual({ ...created, name: 'Acme Inc.' });
      const moved = await patch(path, { email: 'billing@example.com' });
      expect(moved.body).toEqual({ ...created, name: 'Acme Inc.', email: 'billing@example.com' });
      const both = await patch(path, { name: 'Acme', email: 'ap@example.com' });
      expect(both.body).toEqual({ ...created, email: 'ap@example.com' });
      expect(await get(path)).toEqual(both.body);
    });

    it('clears the e-mail with null; an empty body changes nothing and answers 200', async () => {
      const cleared = await patch(path, { email: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.email).toBeNull();
      const same = await patch(path, {});
      expect(same.status).toBe(200);
      expect(same.body).toEqual(cleared.body);
      expect(await get(path)).toEqual(cleared.body);
    });

    it('refuses bad fields with 400 naming them, changing nothing', async () => {
      await patch(path, { email: 'kept@example.com' });
      await expectRefused(path, { email: 'not-an-email' }, 'email');
      await expectRefused(path, { email: 42 }, 'email');
      await expectRefused(path, { email: `${'x'.repeat(320)}@example.com` }, 'email');
      await expectRefused(path, { name: null }, 'name');
      await expectRefused(path, { name: '' }, 'name');
      await expectRefused(path, { name: 'x'.repeat(256) }, 'name');
      await expectRefused(path, { name: 'Fine', email: 'bad' }, 'email');
      await expectRefused(path, { externalId: 'renamed' }, 'externalId');
      await expectRefused(path, { name: 'Fine', colour: 'blue' }, 'colour');
      await expectRefused(path, { name: 'nul\u0000' }, 'name');
      await expectRefused(path, [{ name: 'array' }], 'body');
      expect((await get(path)).email).toBe('kept@example.com');
    });

    it('is 404 not_found for an unknown customer, with or without changes', async () => {
      for (const body of [{ name: 'Ghost' }, {}]) {
        const res = await patch(`/v1/customers/${unique('ghost')}`, body);
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'not_found' });
      }
    });
  });

  describe('PATCH /v1/features/:key', () => {
    let key: string;
    let path: string;
    let created: any;
    beforeAll(async () => {
      key = unique('edit-feature');
      path = `/v1/features/${key}`;
      created = (await send(t.baseUrl, 'POST', '/v1/features', { key, name: 'Messages', strategy: 'pessimistic' })).body;
    });

    it('renames the feature, answering it as GET does; the list shows the new name', async () => {
      const res = await patch(path, { name: 'Messages sent' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...created, name: 'Messages sent' });
      expect(await get(path)).toEqual(res.body);
      const listed = await get(`/v1/features?limit=100`);
      expect(listed.data.find((f: any) => f.key === key)).toEqual(res.body);
    });

    it('refuses a strategy, even the same one or null, with 400 naming strategy, changing nothing', async () => {
      for (const strategy of ['atomic', 'pessimistic', null]) {
        await expectRefused(path, { name: 'Renamed', strategy }, 'strategy');
        await expectRefused(path, { strategy }, 'strategy');
      }
      const res = await patch(path, { name: 'Renamed', strategy: 'buffered' });
      expect(res.body.message).toContain('strategy cannot change');
    });

    it('refuses a missing, empty or non-string name and unknown fields, changing nothing', async () => {
      await expectRefused(path, {}, 'name');
      await expectRefused(path, { name: '' }, 'name');
      await expectRefused(path, { name: 7 }, 'name');
      await expectRefused(path, { name: 'Renamed', key: 'other' }, 'key');
    });

    it('is 404 not_found for an unknown feature', async () => {
      const res = await patch(`/v1/features/${unique('ghost')}`, { name: 'Ghost' });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'not_found' });
    });
  });
});
