import { Client } from 'pg';
import { BILLING_ROLLUP_LOCK, waitForLock } from '../src/database/advisory-locks';
import { DAY_MS, HOUR_MS, billedSubscription, invoicesOf, iso, quantityOn } from './support/fixtures';
import { postJson } from './support/http';
import { ServerProcess, killLeftovers, startServer } from './support/server-process';
import { TestApp, createTestApp } from './support/test-app';
import { connect, sql } from './support/test-database';
import { until } from './support/until';

const usage = (t: TestApp, subscriptionId: string, feature: string, occurredAt: string, quantity = 1) =>
  t.http().post('/v1/usage').send({ subscriptionId, feature, quantity, occurredAt });
const rollup = (t: TestApp, asOf?: string) =>
  t.http().post('/v1/billing/rollups').send(asOf === undefined ? {} : { asOf });

describe('billing rollup', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { billingRollupCron: null } });
  });
  afterAll(() => t.close());

  it('invoices a subscription started in the past from its backfilled usage, whatever the strategy', async () => {
    const sub = await billedSubscription(t.baseUrl, {
      startAt: '2025-01-10T00:00:00.000Z',
      baseFee: '49',
      charges: [
        { strategy: 'atomic', pricing: { model: 'per_unit', unitPrice: '0.002' } },
        {
          strategy: 'pessimistic',
          pricing: {
            model: 'graduated',
            tiers: [
              { upTo: 5, unitPrice: '10' },
              { upTo: null, unitPrice: '8', flatFee: '1' },
            ],
          },
        },
        { strategy: 'optimistic', limit: 100, pricing: { model: 'package', packageSize: 10, packagePrice: '5' } },
      ],
    });
    const [calls, seats, storage] = sub.features;
    for (const [feature, at, quantity] of [
      [calls, '2025-01-15T12:00:00.000Z', 1000],
      [calls, '2025-02-09T23:59:59.999Z', 234], // the last millisecond of the period
      [calls, '2025-02-10T00:00:00.000Z', 7], // the first of the next one
      [seats, '2025-01-20T00:00:00.000Z', 7],
      [storage, '2025-01-11T00:00:00.000Z', 11],
    ] as const) {
      await usage(t, sub.subscriptionId, feature, at, quantity).expect(201);
    }

    const run = await rollup(t, '2025-02-10T00:00:00.000Z').expect(200);
    expect(run.body).toEqual({
      invoicesCreated: 1,
      asOf: '2025-02-10T00:00:00.000Z',
      skipped: false,
      failedSubscriptions: 0,
    });

    const [invoice, ...others] = await invoicesOf(t.baseUrl, sub.subscriptionId);
    expect(others).toEqual([]);
    expect(invoice).toEqual({
      id: expect.any(String),
      subscriptionId: sub.subscriptionId,
      customerExternalId: sub.customerExternalId,
      periodStart: '2025-01-10T00:00:00.000Z',
      periodEnd: '2025-02-10T00:00:00.000Z',
      currency: 'USD',
      status: 'finalized',
      lines: [
        { type: 'base_fee', amount: '49.00' },
        { type: 'usage', feature: calls, quantity: 1234, amount: '2.47' }, // 2.468
        { type: 'usage', feature: seats, quantity: 7, amount: '67.00' }, // 5 × 10 + 2 × 8 + 1
        { type: 'usage', feature: storage, quantity: 11, amount: '10.00' }, // 2 started packages
      ],
      total: '128.47',
    });
    await t.http().get(`/v1/invoices/${invoice.id}`).expect(200, invoice);

    // The invoiced period is closed, for every strategy; the next one still counts.
    for (const feature of sub.features) {
      const late = await usage(t, sub.subscriptionId, feature, '2025-01-31T00:00:00.000Z').expect(409);
      expect(late.body.code).toBe('period_closed');
    }
    await usage(t, sub.subscriptionId, calls, '2025-02-11T00:00:00.000Z').expect(201);
  });

  it('catches up over three month-end anchored periods, one invoice each, and a second run adds nothing', async () => {
    const sub = await billedSubscription(t.baseUrl, {
      startAt: '2025-01-31T10:00:00.000Z',
      baseFee: '10',
      charges: [{ pricing: { model: 'per_unit', unitPrice: '1' } }],
    });
    const [calls] = sub.features;
    await usage(t, sub.subscriptionId, calls, '2025-02-28T09:59:59.999Z', 1).expect(201);
    await usage(t, sub.subscriptionId, calls, '2025-02-28T10:00:00.000Z', 2).expect(201);
    await usage(t, sub.subscriptionId, calls, '2025-04-30T09:00:00.000Z', 3).expect(201);
    await usage(t, sub.subscriptionId, calls, '2025-04-30T10:00:00.000Z', 4).expect(201);

    const asOf = '2025-04-30T10:00:00.000Z';
    const first = await rollup(t, asOf).expect(200);
    expect(first.body.invoicesCreated).toBeGreaterThanOrEqual(3);
    const invoices = await invoicesOf(t.baseUrl, sub.subscriptionId);
    expect(invoices.map((i) => [i.periodStart, i.periodEnd, quantityOn(i, calls), i.total])).toEqual([
      ['2025-03-31T10:00:00.000Z', '2025-04-30T10:00:00.000Z', 3, '13.00'],
      ['2025-02-28T10:00:00.000Z', '2025-03-31T10:00:00.000Z', 2, '12.00'],
      ['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z', 1, '11.00'],
    ]);

    const second = await rollup(t, asOf).expect(200);
    expect(second.body.invoicesCreated).toBe(0);
    expect(await invoicesOf(t.baseUrl, sub.subscriptionId)).toHaveLength(3);
  });

  it('ends February on the 29th in a leap year', async () => {
    const sub = await billedSubscription(t.baseUrl, {
      startAt: '2024-01-31T00:00:00.000Z',
      baseFee: '5',
      charges: [],
    });
    await rollup(t, '2024-03-30T23:59:59.999Z').expect(200);
    const invoices = await invoicesOf(t.baseUrl, sub.subscriptionId);
    expect(invoices.map((i) => [i.periodStart, i.periodEnd, i.lines, i.total])).toEqual([
      ['2024-01-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z', [{ type: 'base_fee', amount: '5.00' }], '5.00'],
    ]);
  });

  it('refuses an asOf in the future or malformed, naming the field', async () => {
    const future = await rollup(t, iso(Date.now() + 60_000)).expect(400);
    expect(future.body).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('asOf') });
    for (const body of [{ asOf: 'yesterday' }, { asOf: 5 }, { asOf: '2025-01-01' }, { asof: iso(Date.now()) }]) {
      const bad = await t.http().post('/v1/billing/rollups').send(body).expect(400);
      expect(bad.body.code).toBe('validation_failed');
    }
    const none = await t.http().post('/v1/billing/rollups').expect(200);
    expect(none.body).toMatchObject({ skipped: false, invoicesCreated: expect.any(Number) });
  });
});

describe('billing rollup with two instances, a grace period and crashes', () => {
  let t: TestApp;
  let t2: TestApp;
  const graceMs = HOUR_MS;
  beforeAll(async () => {
    t = await createTestApp({ config: { billingRollupCron: null, billingGracePeriodMs: graceMs } });
    t2 = await createTestApp({ databaseUrl: t.databaseUrl, config: { billingRollupCron: null, billingGracePeriodMs: graceMs } });
  });
  afterAll(async () => {
    await killLeftovers();
    await t2.close();
    await t.close();
  });

  /** Every closed counter belongs to an invoiced period, and every invoice has all its lines. */
  async function expectWholeInvoicesOnly(): Promise<void> {
    const halfMade = await sql(
      t.databaseUrl,
      `SELECT c.subscription_id, c.period_start FROM usage_counters c
        WHERE c.closed_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM invoices i
                           WHERE i.subscription_id = c.subscription_id AND i.period_start = c.period_start)`,
    );
    expect(halfMade).toEqual([]);
    const lineless = await sql(
      t.databaseUrl,
      `SELECT i.id FROM invoices i
         JOIN plan_versions v ON v.plan_id = i.plan_id AND v.version = i.plan_version
        WHERE jsonb_array_length(i.lines)
           <> (v.base_fee > 0)::int
              + (SELECT count(*) FROM plan_charges c WHERE c.plan_id = i.plan_id AND c.version = i.plan_version)`,
    );
    expect(lineless).toEqual([]);
  }

  it('keeps an ended period open for late usage until the grace period has passed', async () => {
    const now = Date.now();
    const start = now - DAY_MS - 90 * 60_000; // period 0 ended 90 minutes ago
    const sub = await billedSubscription(t.baseUrl, {
      startAt: iso(start),
      interval: 'day',
      baseFee: '1',
      charges: [{ pricing: { model: 'per_unit', unitPrice: '1' } }],
    });
    const [calls] = sub.features;
    await usage(t, sub.subscriptionId, calls, iso(start + 1000), 2).expect(201);

    // 45 minutes after its end: within the grace period, so not invoiced and still counting.
    await rollup(t, iso(now - 45 * 60_000)).expect(200);
    expect(await invoicesOf(t.baseUrl, sub.subscriptionId)).toEqual([]);
    await usage(t, sub.subscriptionId, calls, iso(start + DAY_MS - 1), 3).expect(201);

    await rollup(t).expect(200);
    const [invoice] = await invoicesOf(t.baseUrl, sub.subscriptionId);
    expect(quantityOn(invoice, calls)).toBe(5);
    await usage(t, sub.subscriptionId, calls, iso(start + 2000)).expect(409);
  });

  it('creates each invoice once across concurrent runs on two instances', async () => {
    // Three subscriptions, each three daily periods behind (and past the grace period).
    const start = Date.now() - 3 * DAY_MS - 2 * HOUR_MS;
    const subs = [];
    for (let i = 0; i < 3; i++) {
      subs.push(
        await billedSubscription(t.baseUrl, {
          startAt: iso(start),
          interval: 'day',
          charges: [{ pricing: { model: 'per_unit', unitPrice: '0.5' } }],
        }),
      );
    }
    const [before] = await sql(t.databaseUrl, `SELECT count(*)::int AS n FROM invoices`);
    const asOf = iso(Date.now());
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => rollup(i % 2 === 0 ? t : t2, asOf).expect(200)),
    );
    const [after] = await sql(t.databaseUrl, `SELECT count(*)::int AS n FROM invoices`);
    const created = runs.reduce((sum, run) => sum + run.body.invoicesCreated, 0);
    expect(created).toBe(after.n - before.n);
    for (const sub of subs) expect(await invoicesOf(t.baseUrl, sub.subscriptionId)).toHaveLength(3);

    const again = await Promise.all([rollup(t, asOf), rollup(t2, asOf)]);
    expect(again.map((r) => r.body.invoicesCreated)).toEqual([0, 0]);
  });

  it('answers skipped while another run holds the lock', async () => {
    const holder = await connect(t.databaseUrl);
    try {
      await waitForLock(holder, BILLING_ROLLUP_LOCK);
      const run = await rollup(t2).expect(200);
      expect(run.body).toMatchObject({ skipped: true, invoicesCreated: 0 });
    } finally {
      await holder.end();
    }
    expect((await rollup(t2).expect(200)).body.skipped).toBe(false);
  });

  /**
   * A crash is a real one: the rollup runs in a server process of its own on the same database and
   * is killed with SIGKILL at the chosen point, where a lock held by the test keeps it waiting. Its
   * connections carry an application_name, so that the test can see them wait, and see them gone.
   */
  const CRASHING = 'tally-test-crashing-rollup';

  async function crashingServer(): Promise<ServerProcess> {
    const url = new URL(t.databaseUrl);
    url.searchParams.set('application_name', CRASHING);
    return startServer({ databaseUrl: url.toString(), env: { BILLING_GRACE_PERIOD: `PT${graceMs / 1000}S` } });
  }

  /** The crashing server's statements that wait for a lock. */
  const waitingForLock = () =>
    sql<{ pid: number; query: string }>(
      t.databaseUrl,
      `SELECT pid, query FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [CRASHING],
    );

  /** SIGKILL; then, once the test's locks are released, every session of the dead process ends. */
  async function crash(server: ServerProcess, blocker: Client): Promise<void> {
    server.kill('SIGKILL');
    expect(await server.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    // The statement that waited goes on, then finds its client gone and rolls back.
    await blocker.query('ROLLBACK');
    await until(
      async () => (await sql(t.databaseUrl, 'SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [CRASHING])).length === 0,
      'the sessions of the killed process to end',
    );
  }

  it('leaves whole invoices after a crash between two of them, oldest first, and the next run completes the rest', async () => {
    const start = Date.now() - 3 * DAY_MS - 2 * HOUR_MS;
    const subs = [];
    for (let i = 0; i < 2; i++) {
      subs.push(
        await billedSubscription(t.baseUrl, {
          startAt: iso(start),
          interval: 'day',
          baseFee: '3',
          charges: [{ pricing: { model: 'per_unit', unitPrice: '1' } }, {}],
        }),
      );
    }
    subs.sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1)); // the rollup's order
    const [first, second] = subs;
    // Usage in the first subscription's third period: the counter row the test will hold.
    await usage(t, first.subscriptionId, first.features[0], iso(start + 2 * DAY_MS + 5), 4).expect(201);

    const server = await crashingServer();
    const blocker = await connect(t.databaseUrl);
    try {
      await blocker.query('BEGIN');
      const held = await blocker.query(
        'SELECT 1 FROM usage_counters WHERE subscription_id = $1 AND period_start = $2 FOR UPDATE',
        [first.subscriptionId, iso(start + 2 * DAY_MS)],
      );
      expect(held.rowCount).toBe(1);
      const run = postJson(server.baseUrl, '/v1/billing/rollups', {}, 60_000);
      // The chunk of all six periods waits to close that row. Cancelled, it is retried one period
      // per transaction: the first subscription's first two periods commit, and its third waits
      // for the row again. The process dies there, between two commits.
      await until(async () => (await waitingForLock()).length === 1, 'the chunk to wait for the counter row');
      const [chunk] = await waitingForLock();
      expect(chunk.query).toMatch(/usage_counters/);
      await sql(t.databaseUrl, 'SELECT pg_cancel_backend($1)', [chunk.pid]);
      const invoiced = async () =>
        (await sql(t.databaseUrl, 'SELECT count(*)::int AS n FROM invoices WHERE subscription_id = $1', [first.subscriptionId]))[0].n;
      await until(
        async () => (await invoiced()) === 2 && (await waitingForLock()).length === 1,
        'two periods committed and the third waiting',
      );
      await crash(server, blocker);
      expect((await run).status).toBe(0);
    } finally {
      server.kill('SIGKILL');
      await blocker.end();
    }

    await expectWholeInvoicesOnly();
    const done = await invoicesOf(t.baseUrl, first.subscriptionId);
    expect(done.map((i) => i.periodStart)).toEqual([iso(start + DAY_MS), iso(start)]);
    expect(await invoicesOf(t.baseUrl, second.subscriptionId)).toEqual([]);

    // The third period of the first subscription was never closed: its late usage still counts.
    await usage(t, first.subscriptionId, first.features[0], iso(start + 2 * DAY_MS + 6), 1).expect(201);
    await usage(t, first.subscriptionId, first.features[0], iso(start + 5)).expect(409);

    const rest = await rollup(t).expect(200);
    expect(rest.body.invoicesCreated).toBe(4);
    await expectWholeInvoicesOnly();
    const all = await invoicesOf(t.baseUrl, first.subscriptionId);
    expect(all.map((i) => quantityOn(i, first.features[0]))).toEqual([5, 0, 0]);
    expect(await invoicesOf(t.baseUrl, second.subscriptionId)).toHaveLength(3);
  });

  it('rolls a whole chunk back when the process dies before committing it: nothing closed, nothing invoiced', async () => {
    const start = Date.now() - 2 * DAY_MS - 2 * HOUR_MS;
    const sub = await billedSubscription(t.baseUrl, {
      startAt: iso(start),
      interval: 'day',
      baseFee: '3',
      charges: [{ strategy: 'pessimistic', pricing: { model: 'per_unit', unitPrice: '1' } }],
    });
    const [calls] = sub.features;

    const server = await crashingServer();
    const blocker = await connect(t.databaseUrl);
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE invoices IN SHARE MODE');
      const run = postJson(server.baseUrl, '/v1/billing/rollups', {}, 60_000);
      // The chunk has closed both periods and read their usage; it waits to write the invoices.
      await until(async () => (await waitingForLock()).length === 1, 'the chunk to wait for the invoices table');
      expect((await waitingForLock())[0].query).toMatch(/INSERT INTO invoices/);
      await crash(server, blocker);
      expect((await run).status).toBe(0);
    } finally {
      server.kill('SIGKILL');
      await blocker.end();
    }

    await expectWholeInvoicesOnly();
    expect(await invoicesOf(t.baseUrl, sub.subscriptionId)).toEqual([]);
    await usage(t, sub.subscriptionId, calls, iso(start + 1), 6).expect(201);

    expect((await rollup(t).expect(200)).body.invoicesCreated).toBe(2);
    const invoices = await invoicesOf(t.baseUrl, sub.subscriptionId);
    expect(invoices.map((i) => [quantityOn(i, calls), i.total])).toEqual([
      [0, '3.00'],
      [6, '9.00'],
    ]);
  });
});

describe('billing rollup on its schedule', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { billingRollupCron: '* * * * * *' } }); // every second
  });
  afterAll(() => t.close());

  it('invoices what is due without being asked', async () => {
    const sub = await billedSubscription(t.baseUrl, {
      startAt: iso(Date.now() - DAY_MS - HOUR_MS),
      interval: 'day',
      baseFee: '7',
      charges: [],
    });
    let invoices: any[] = [];
    await until(async () => (invoices = await invoicesOf(t.baseUrl, sub.subscriptionId)).length > 0, 'the scheduled rollup', {
      timeoutMs: 5000,
      everyMs: 200,
    });
    expect(invoices.map((i) => i.total)).toEqual(['7.00']);
  });
});
