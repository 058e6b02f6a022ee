import { get } from 'node:http';
import { DAY_MS, HOUR_MS, billedSubscription, invoicesOf, iso, meteredSubscription, quantityOn, unique } from './support/fixtures';
import { postJson, send } from './support/http';
import { expectEachOnce, forgedCursor, queryString, walkPages } from './support/pages';
import { TestApp, createTestApp } from './support/test-app';
import { sql } from './support/test-database';
import { until } from './support/until';

const HEADER = 'id,subscriptionId,feature,quantity,idempotencyKey,occurredAt,recordedAt,periodStart';

/** RFC 4180, written here again rather than imported, so that the test checks the server's. */
const field = (value: string | number | null) => {
  if (value === null) return '';
  const text = String(value);
  return text === '' ? '""' : /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

describe('the event log: GET /v1/usage/events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { billingRollupCron: null } });
  });
  afterAll(() => t.close());

  const batch = async (events: object[]) => {
    const res = await postJson(t.baseUrl, '/v1/usage/batch', { events });
    expect(res.status).toBe(200);
    expect(res.body.results.filter((r: any) => r.status !== 'accepted')).toEqual([]);
  };
  const events = (query: Record<string, string | number | undefined>) => send(t.baseUrl, 'GET', `/v1/usage/events?${queryString(query)}`);
  const csv = async (query: Record<string, string>, accept = 'text/csv') => {
    const res = await fetch(`${t.baseUrl}/v1/usage/events?${queryString(query)}`, { headers: { accept } });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  /** The subscription's events straight from the ledger, newest first, as the API writes them. */
  const ledger = (subscriptionId: string) =>
    sql(
      t.databaseUrl,
      `SELECT e.id::text, e.subscription_id, f.key AS feature, e.quantity::text, e.idempotency_key, e.occurred_at, e.recorded_at, e.period_start
         FROM usage_events e JOIN features f ON f.id = e.feature_id
        WHERE e.subscription_id = $1
        ORDER BY e.occurred_at DESC, e.id DESC`,
      [subscriptionId],
    );

  it('walks newest first, every event once, across equal occurredAt, while events are recorded', async () => {
    const sub = await meteredSubscription(t.baseUrl, { startAt: iso(Date.now() - HOUR_MS) });
    // Six instants, ten events at each: only the id orders events of one instant.
    const base = Date.now() - 30 * 60_000;
    await batch(
      Array.from({ length: 60 }, (_, i) => ({ subscriptionId: sub.subscriptionId, feature: sub.feature, quantity: 1 + (i % 5), occurredAt: iso(base + Math.floor(i / 10) * 1000) })),
    );
    const existing = (await ledger(sub.subscriptionId)).map((e) => e.id);
    expect(existing).toHaveLength(60);

    // New events land before the walk (now) and among the pages already read and still to come.
    const record = (n: number) =>
      postJson(t.baseUrl, '/v1/usage', {
        subscriptionId: sub.subscriptionId,
        feature: sub.feature,
        occurredAt: iso(n % 2 ? Date.now() : base + (n % 6) * 1000),
      }).then((res) => expect(res.status).toBe(201));
    const { items, pages } = await walkPages(t.baseUrl, '/v1/usage/events', { subscriptionId: sub.subscriptionId }, { limit: 7, insert: record });
    expect(pages).toBeGreaterThan(8);
    expectEachOnce(items, existing);
    // In the ledger's order: occurredAt descending, then id descending.
    const order = items.map((e) => [e.occurredAt, BigInt(e.id)] as const);
    expect(order.every(([at, id], i) => i === 0 || at < order[i - 1][0] || (at === order[i - 1][0] && id < order[i - 1][1]))).toBe(true);
  });

  it('answers each event as { id, subscriptionId, feature, quantity, idempotencyKey, occurredAt, recordedAt, periodStart }', async () => {
    const sub = await meteredSubscription(t.baseUrl, { interval: 'day', startAt: iso(Date.now() - DAY_MS - HOUR_MS) });
    const occurredAt = iso(Date.now() - DAY_MS);
    const res = await postJson(t.baseUrl, '/v1/usage', { subscriptionId: sub.subscriptionId, feature: sub.feature, quantity: 8325, idempotencyKey: 'why-8325', occurredAt });
    expect(res.status).toBe(201);
    const [row] = await ledger(sub.subscriptionId);
    const page = await events({ subscriptionId: sub.subscriptionId });
    expect(page.body).toEqual({
      data: [
        {
          id: row.id,
          subscriptionId: sub.subscriptionId,
          feature: sub.feature,
          quantity: 8325,
          idempotencyKey: 'why-8325',
          occurredAt,
          recordedAt: row.recorded_at.toISOString(),
          periodStart: res.body.periodStart,
        },
      ],
      nextCursor: null,
    });
  });

  describe('filters', () => {
    let sub: Awaited<ReturnType<typeof billedSubscription>>;
    // Whole seconds, three hours ago: a monthly period that no rollup in this file closes.
    const start = Math.floor((Date.now() - 3 * HOUR_MS) / 1000) * 1000;
    beforeAll(async () => {
      sub = await billedSubscription(t.baseUrl, { startAt: iso(start), interval: 'month', charges: [{}, {}] });
      // One event a minute for two hours, alternating features.
      await batch(
        Array.from({ length: 120 }, (_, i) => ({ subscriptionId: sub.subscriptionId, feature: sub.features[i % 2], occurredAt: iso(start + i * 60_000) })),
      );
    });

    const occurred = async (query: Record<string, string>) =>
      (await walkPages(t.baseUrl, '/v1/usage/events', { subscriptionId: sub.subscriptionId, ...query }, { limit: 50 })).items;

    it('feature: only that feature\'s events', async () => {
      const items = await occurred({ feature: sub.features[1] });
      expect(items).toHaveLength(60);
      expect(items.every((e) => e.feature === sub.features[1])).toBe(true);
      expect(await occurred({ feature: unique('no-such-feature') })).toEqual([]);
    });

    it('from is inclusive and to exclusive, on occurredAt', async () => {
      const items = await occurred({ from: iso(start + 10 * 60_000), to: iso(start + 20 * 60_000) });
      expect(items.map((e) => e.occurredAt)).toEqual(Array.from({ length: 10 }, (_, i) => iso(start + (19 - i) * 60_000)));
      // Adjacent ranges share no event and miss none.
      const before = await occurred({ to: iso(start + 60 * 60_000) });
      const after = await occurred({ from: iso(start + 60 * 60_000) });
      expect(before).toHaveLength(60);
      expect(after).toHaveLength(60);
      const both = await occurred({ feature: sub.features[0], from: iso(start + 30 * 60_000), to: iso(start + 40 * 60_000).replace('.000Z', '+00:00') });
      expect(both.map((e) => e.occurredAt)).toEqual([38, 36, 34, 32, 30].map((m) => iso(start + m * 60_000)));
    });

    it('refuses bad input with 400 naming the field, and an unknown subscription with 404', async () => {
      const refused = async (query: Record<string, string>, name: string) => {
        const res = await events(query);
        expect({ query, status: res.status, code: res.body.code, names: res.body.message.includes(name) }).toEqual({
          query,
          status: 400,
          code: 'validation_failed',
          names: true,
        });
        expect(res.body.statusCode).toBe(400);
      };
      const id = sub.subscriptionId;
      await refused({}, 'subscriptionId');
      await refused({ subscriptionId: 'nope' }, 'subscriptionId');
      await refused({ subscriptionId: id, from: 'yesterday' }, 'from');
      await refused({ subscriptionId: id, to: '2025-02-30T00:00:00Z' }, 'to');
      await refused({ subscriptionId: id, from: '2025-01-02T00:00:00Z', to: '2025-01-01T00:00:00Z' }, 'to');
      await refused({ subscriptionId: id, feature: 'bad key!' }, 'feature');
      for (const limit of ['0', '101', 'x']) await refused({ subscriptionId: id, limit }, 'limit');
      const other = (await send(t.baseUrl, 'GET', '/v1/features?limit=1')).body.nextCursor;
      for (const cursor of [
        'garbage',
        other,
        forgedCursor(['usage-events', '2025-01-01T00:00:00Z', 'not-a-number']),
        forgedCursor(['usage-events', '2025-01-01T00:00:00Z', '99999999999999999999']),
        forgedCursor(['usage-events', '2025-13-01T00:00:00Z', '1']),
        forgedCursor(['usage-events', '2025-01-01T00:00:00Z', 1]),
      ]) {
        await refused({ subscriptionId: id, cursor }, 'cursor');
      }
      const unknown = await events({ subscriptionId: '00000000-0000-4000-8000-000000000000' });
      expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'not_found' });
    });
  });

  describe('as CSV (Accept: text/csv)', () => {
    it('streams every event, header first, fields quoted where they must be, in the order of the list', async () => {
      const sub = await billedSubscription(t.baseUrl, { startAt: iso(Date.now() - DAY_MS), interval: 'week', charges: [{}, { strategy: 'buffered' }] });
      const awkward = ['plain', 'with,comma', 'with "quotes"', 'line\nbreak', 'crlf\r\nend', '"', ',', ' spaced ', '=SUM(A1)', 'ünï©ødé'];
      const base = Date.now() - 12 * HOUR_MS;
      for (let b = 0; b < 3; b++) {
        await batch(
          Array.from({ length: 1000 }, (_, i) => {
            const n = b * 1000 + i;
            return {
              subscriptionId: sub.subscriptionId,
              feature: sub.features[n % 2],
              quantity: 1 + (n % 9),
              // Every third without a key; pairs of events share an instant.
              ...(n % 3 === 0 ? {} : { idempotencyKey: `${awkward[n % awkward.length]}-${n}` }),
              occurredAt: iso(base + Math.floor(n / 2) * 1000),
            };
          }),
        );
      }
      const rows = await ledger(sub.subscriptionId);
      expect(rows).toHaveLength(3000);
      const expected =
        [HEADER, ...rows.map((r) =>
          [r.id, r.subscription_id, r.feature, r.quantity, r.idempotency_key, r.occurred_at.toISOString(), r.recorded_at.toISOString(), r.period_start.toISOString()]
            .map(field)
            .join(','),
        )].join('\r\n') + '\r\n';

      const all = await csv({ subscriptionId: sub.subscriptionId, limit: '5' });
      expect(all.status).toBe(200);
      expect(all.type).toBe('text/csv; charset=utf-8');
      expect(all.text === expected).toBe(true); // (the whole text; toEqual would print 600 kB on failure)
      expect(all.text.split('\r\n').slice(0, 3)).toEqual(expected.split('\r\n').slice(0, 3));

      // With filters: the same lines as the JSON list's items, in the same order.
      const query = { subscriptionId: sub.subscriptionId, feature: sub.features[1], from: iso(base + 100_000), to: iso(base + 400_000) };
      const { items } = await walkPages(t.baseUrl, '/v1/usage/events', query, { limit: 100 });
      expect(items).toHaveLength(300);
      const filtered = await csv(query, 'application/json;q=0.5, text/csv');
      const lines = items.map((e) => [e.id, e.subscriptionId, e.feature, e.quantity, e.idempotencyKey, e.occurredAt, e.recordedAt, e.periodStart].map(field).join(','));
      expect(filtered.text).toBe([HEADER, ...lines].join('\r\n') + '\r\n');

      // JSON stays the answer to JSON, to */* and to a JSON-first tie.
      for (const accept of ['application/json', '*/*', 'application/json, text/csv']) {
        expect((await csv({ subscriptionId: sub.subscriptionId, limit: '1' }, accept)).type).toMatch(/^application\/json/);
      }
    });

    it('gives its connection back when the client leaves mid-export', async () => {
      // A pool of two, and an export large enough to be cut short: 200,000 events straight into the ledger.
      const small = await createTestApp({ databaseUrl: t.databaseUrl, config: { dbPoolSize: 2, billingRollupCron: null } });
      try {
        const sub = await meteredSubscription(small.baseUrl, {});
        await sql(
          t.databaseUrl,
          `INSERT INTO usage_events (subscription_id, feature_id, period_start, quantity, occurred_at, used_after)
           SELECT $1, (SELECT id FROM features WHERE key = $2), now(), 1, now() - g * interval '1 ms', g FROM generate_series(1, 200000) g`,
          [sub.subscriptionId, sub.feature],
        );
        for (let i = 0; i < 4; i++) {
          // node:http rather than fetch: one connection, destroyed once the first bytes are in.
          await new Promise<void>((resolve, reject) => {
            const req = get(`${small.baseUrl}/v1/usage/events?subscriptionId=${sub.subscriptionId}`, { headers: { accept: 'text/csv' } }, (res) => {
              expect(res.statusCode).toBe(200);
              res.once('data', () => {
                req.destroy();
                resolve();
              });
            });
            req.on('error', reject);
          });
        }
        // Four exports abandoned on a pool of two: the pool still answers, and no export is left running.
        const page = await send(small.baseUrl, 'GET', `/v1/usage/events?subscriptionId=${sub.subscriptionId}&limit=1`);
        expect(page.status).toBe(200);
        await until(async () => {
          const running = await sql(t.databaseUrl, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%FROM usage_events e%' AND state <> 'idle'`);
          return running.length === 0;
        }, 'the abandoned exports to end');
      } finally {
        await small.close();
      }
    });

    it('is the header alone when nothing matches, and 400 or 404 like the list for bad input', async () => {
      const sub = await meteredSubscription(t.baseUrl, {});
      expect(await csv({ subscriptionId: sub.subscriptionId })).toEqual({ status: 200, type: 'text/csv; charset=utf-8', text: `${HEADER}\r\n` });
      const bad = await csv({ subscriptionId: sub.subscriptionId, from: 'soon' });
      expect([bad.status, JSON.parse(bad.text).code]).toEqual([400, 'validation_failed']);
      const unknown = await csv({ subscriptionId: '00000000-0000-4000-8000-000000000000' });
      expect([unknown.status, JSON.parse(unknown.text).code]).toEqual([404, 'not_found']);
    });
  });

  it("sums, over a period's events, to the period's used and to its invoice line, for every strategy", async () => {
    const start = Date.now() - DAY_MS - HOUR_MS; // its first daily period ended an hour ago
    const strategies = ['atomic', 'pessimistic', 'optimistic', 'buffered'];
    const sub = await billedSubscription(t.baseUrl, {
      startAt: iso(start),
      interval: 'day',
      charges: strategies.map((strategy) => ({ strategy, limit: 10_000, pricing: { model: 'per_unit', unitPrice: '0.01' } })),
    });
    // Usage in the first period, and some in the running one that must not be summed with it.
    const recorded = Array.from({ length: 400 }, (_, i) => ({
      subscriptionId: sub.subscriptionId,
      feature: sub.features[i % 4],
      quantity: 1 + ((i * 7) % 13),
      occurredAt: iso(i < 360 ? start + i * 60_000 : Date.now() - i * 1000),
    }));
    for (let i = 0; i < recorded.length; i += 100) await batch(recorded.slice(i, i + 100));
    await Promise.all(
      recorded.slice(0, 40).map((e, i) => postJson(t.baseUrl, '/v1/usage', { ...e, idempotencyKey: `single-${i}` }).then((r) => expect(r.status).toBe(201))),
    );

    const period = { from: iso(start), to: iso(start + DAY_MS) };
    const used = (await send(t.baseUrl, 'GET', `/v1/subscriptions/${sub.subscriptionId}/usage?at=${encodeURIComponent(iso(start))}`)).body;
    expect(await postJson(t.baseUrl, '/v1/billing/rollups', {})).toMatchObject({ status: 200 });
    const invoice = (await invoicesOf(t.baseUrl, sub.subscriptionId)).find((i) => i.periodStart === period.from);
    for (const feature of sub.features) {
      const { items } = await walkPages(t.baseUrl, '/v1/usage/events', { subscriptionId: sub.subscriptionId, feature, ...period }, { limit: 100 });
      const sum = items.reduce((total, e) => total + e.quantity, 0);
      expect(items.every((e) => e.periodStart === period.from)).toBe(true);
      const expected = recorded.filter((e, i) => e.feature === feature && i < 360).reduce((total, e) => total + e.quantity, 0) +
        recorded.slice(0, 40).filter((e) => e.feature === feature).reduce((total, e) => total + e.quantity, 0);
      expect({ feature, sum }).toEqual({ feature, sum: expected });
      expect(used.features.find((f: any) => f.feature === feature).used).toBe(sum);
      expect(quantityOn(invoice, feature)).toBe(sum);
    }
  });
});
