/**
 * npm run bench — one table from one run, so that every ratio compares figures from the same
 * machine in the same minutes (the development machine is shared; across runs they drift):
 *
 *   1. bare Fastify on a trivial route (the HTTP ceiling) and Tally's GET /health/live;
 *   2. each strategy through HTTP on one hot counter, at 1, 16 and 64 connections;
 *   3. batch ingestion (POST /v1/usage/batch, 1000 events a request, 8 connections), buffered and atomic;
 *   4. each strict strategy's SQL driven straight from a pool of 64 connections, without HTTP —
 *      the database's limit for that shape — one event a transaction and 16 ("combining");
 *   5. the naive read-check-write and the updates it loses;
 *   6. the strategy rows of 2 again, after seeding 5,000,000 ledger events and 100,000
 *      subscriptions, as ratios to the first time;
 *   7. the entitlement check (GET /v1/subscriptions/:id/entitlements/:feature?quantity=1) of a
 *      buffered and an atomic feature at 64 connections (issue 13).
 * Then the machine, and each aim of issues 9 and 13 as reached or not, with its figures.
 * BENCH_ONLY=entitlements runs only the cells of 7 (with the warm-up) and their aims.
 *
 * The server is the built dist/src/main.js in a child process, on a fresh database (embedded
 * PostgreSQL, or DATABASE_URL's server); the load comes from autocannon in another child process
 * (support/load-generator.ts). Progress goes to stderr, the results to stdout.
 *
 * BENCH_SECONDS (default 8) per cell. BENCH_QUICK=1: a smoke run of the whole script — 1 s cells,
 * 100,000 ledger events and 1,000 subscriptions — whose figures mean nothing.
 */
import { Logger } from '@nestjs/common';
import { cpus, totalmem, release } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool } from 'pg';
import { benchDatabase, hotCounter, load, post, settle, startBareFastify, startServer } from './support/bench-server';
import { CounterKey, Shape, atomic, optimistic, pessimistic } from './support/direct-sql';
import { SeedReport, seedLargeDatabase } from './support/large-database';
import type { LoadOptions, LoadResult } from './support/load-generator';
import { percentile } from './support/load-generator';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 1 : 8));
if (!(SECONDS > 0 && Number.isInteger(SECONDS))) throw new Error(`BENCH_SECONDS: expected a whole number of seconds, got ${process.env.BENCH_SECONDS}`);
const WARMUP_SECONDS = QUICK ? 1 : 3;
const LARGE = QUICK ? { events: 100_000, subscriptions: 1_000 } : { events: 5_000_000, subscriptions: 100_000 };

const CONNECTIONS = [1, 16, 64];
const STRATEGIES = ['atomic', 'pessimistic', 'optimistic', 'buffered'] as const;
type Strategy = (typeof STRATEGIES)[number];
/** High enough never to trip during a run, so that every answer is a counted event. */
const LIMIT = 1_000_000_000;
/** "A subscription with a huge limit" for atomic batch ingestion. */
const HUGE_LIMIT = 1_000_000_000_000;
const BATCH_EVENTS = 1000;
const BATCH_CONNECTIONS = 8;
const SQL_CONNECTIONS = 64;
const COMBINED = 16;
const ENTITLEMENT_STRATEGIES = ['buffered', 'atomic'] as const;
const ENTITLEMENT_CONNECTIONS = 64;
/** Issue 13: p99 of an entitlement check at 64 connections. */
const ENTITLEMENT_P99_AIM_MS: Record<(typeof ENTITLEMENT_STRATEGIES)[number], number> = { buffered: 5, atomic: 10 };

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (n: number | null | undefined) =>
  n === undefined || n === null || Number.isNaN(n) ? '—' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);
const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

/** One measured cell. */
interface Cell {
  perSecond: number;
  p50?: number | null;
  p99?: number | null;
  /** 503 answers, for the optimistic aim. */
  unavailable: number;
  /** What the non-2xx column says. */
  failures: string;
}

/** One line of the table. */
interface Row {
  what: string;
  connections: number;
  cell: Cell;
  ratio: string;
}

/** A load result as a cell: `events` counted per second (2xx answers unless told otherwise). */
function cellOf(r: LoadResult, perSecond = r.ok / r.seconds): Cell {
  const bad = Object.entries(r.statusCodes).filter(([code]) => !code.startsWith('2'));
  const parts = bad.map(([code, n]) => `${fmt(n)}×${code}`);
  if (r.errors > 0) parts.push(`${fmt(r.errors)} no answer${r.timeouts ? ` (${fmt(r.timeouts)} timed out)` : ''}`);
  return {
    perSecond,
    p50: r.p50,
    p99: r.p99,
    unavailable: r.statusCodes['503'] ?? 0,
    failures: parts.length ? parts.join(', ') : '0',
  };
}

const ratio = (cell: Cell, base: Cell | undefined, to: string) =>
  base && base.perSecond > 0 ? `${fmt(cell.perSecond / base.perSecond, 2)} × ${to}` : `— (${to}: nothing measured)`;

async function measure(label: string, options: Omit<LoadOptions, 'seconds'> & { seconds?: number }): Promise<LoadResult> {
  const r = await load({ seconds: SECONDS, ...options });
  log(`${label}: ${fmt(r.ok / r.seconds)}/s p50 ${ms(r.p50)} ms p99 ${ms(r.p99)} ms non-2xx ${r.non2xx} errors ${r.errors}`);
  return r;
}

/** Every strategy on a hot counter of its own at 1, 16 and 64 connections, each after the last has settled. */
async function strategyCells(baseUrl: string, tag: string): Promise<Map<string, Cell>> {
  const cells = new Map<string, Cell>();
  for (const strategy of STRATEGIES) {
    for (const connections of CONNECTIONS) {
      const counter = await hotCounter(baseUrl, strategy, LIMIT, `${tag}c${connections}`);
      const body = JSON.stringify({ subscriptionId: counter.subscriptionId, feature: counter.feature });
      const r = await measure(`${tag}${strategy} c=${connections}`, {
        url: `${baseUrl}/v1/usage`,
        method: 'POST',
        body,
        connections,
      });
      cells.set(`${strategy}/${connections}`, cellOf(r));
      await settle(baseUrl);
    }
  }
  return cells;
}

/** The entitlement check of a feature with some usage, at 64 connections, per strategy of ENTITLEMENT_STRATEGIES. */
async function entitlementCells(baseUrl: string, tag = 'entitlements'): Promise<Map<string, Cell>> {
  const cells = new Map<string, Cell>();
  for (const strategy of ENTITLEMENT_STRATEGIES) {
    const { subscriptionId, feature } = await hotCounter(baseUrl, strategy, LIMIT, tag);
    await post(baseUrl, '/v1/usage', { subscriptionId, feature, quantity: 5 });
    const r = await measure(`entitlement check ${strategy} c=${ENTITLEMENT_CONNECTIONS}`, {
      url: `${baseUrl}/v1/subscriptions/${subscriptionId}/entitlements/${feature}?quantity=1`,
      connections: ENTITLEMENT_CONNECTIONS,
    });
    cells.set(strategy, cellOf(r));
    await settle(baseUrl);
  }
  return cells;
}

const entitlementRows = (cells: Map<string, Cell>): Row[] =>
  ENTITLEMENT_STRATEGIES.map((strategy) => ({
    what: `${strategy}, GET /v1/subscriptions/:id/entitlements/:feature?quantity=1`,
    connections: ENTITLEMENT_CONNECTIONS,
    cell: cells.get(strategy)!,
    ratio: `p99 aim ≤ ${ENTITLEMENT_P99_AIM_MS[strategy]} ms`,
  }));

const entitlementAims = (cells: Map<string, Cell>): [boolean, string][] =>
  ENTITLEMENT_STRATEGIES.map((strategy) => {
    const cell = cells.get(strategy)!;
    const aim = ENTITLEMENT_P99_AIM_MS[strategy];
    return [(cell.p99 ?? Infinity) <= aim, `entitlement check, ${strategy} feature, at ${ENTITLEMENT_CONNECTIONS} p99 ≤ ${aim} ms: ${ms(cell.p99)} ms`];
  });

/** The sum of a metric's series in the server's /metrics, optionally only those whose labels contain `match`. */
async function metricSum(baseUrl: string, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(match))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/**
 * POST /v1/usage/batch, 1000 events of one counter a request. Events per second come from the
 * server's count of accepted events over the window rather than from completed requests: a
 * strict batch takes seconds, and a window holds only a few of them.
 */
async function batchCell(baseUrl: string, strategy: Strategy, limit: number | null): Promise<Cell> {
  const counter = await hotCounter(baseUrl, strategy, limit, 'batch');
  const event = { subscriptionId: counter.subscriptionId, feature: counter.feature };
  const body = JSON.stringify({ events: Array.from({ length: BATCH_EVENTS }, () => event) });
  // One request first, to see that every event of such a batch is accepted.
  const probe = await post(baseUrl, '/v1/usage/batch', JSON.parse(body));
  const refused = probe.results.filter((r: { status: string }) => r.status !== 'accepted');
  if (refused.length > 0) throw new Error(`batch ${strategy}: ${refused.length} events not accepted: ${JSON.stringify(refused[0])}`);
  await settle(baseUrl);

  const accepted = () => metricSum(baseUrl, 'tally_usage_events_total', `strategy="${strategy}",outcome="accepted"`);
  let before = 0;
  const r = await load(
    { url: `${baseUrl}/v1/usage/batch`, method: 'POST', body, connections: BATCH_CONNECTIONS, seconds: SECONDS, timeoutSeconds: 300 },
    async () => {
      before = await accepted();
    },
  );
  const counted = (await accepted()) - before;
  const cell = cellOf(r, counted / r.seconds);
  log(`batch ${strategy}: ${fmt(cell.perSecond)} events/s, ${r.ok} requests completed, p99 ${ms(r.p99)} ms a request`);
  await settle(baseUrl);
  return cell;
}

/** A counter row of `strategy`'s feature for the direct-SQL cells, created by one event through HTTP. */
async function preparedCounter(baseUrl: string, db: Client, strategy: Strategy, tag: string): Promise<CounterKey> {
  const { subscriptionId, feature } = await hotCounter(baseUrl, strategy, LIMIT, tag);
  await post(baseUrl, '/v1/usage', { subscriptionId, feature });
  const { rows } = await db.query(
    `SELECT subscription_id, feature_id, period_start FROM usage_counters WHERE subscription_id = $1`,
    [subscriptionId],
  );
  return { subscriptionId: rows[0].subscription_id, featureId: rows[0].feature_id, periodStart: rows[0].period_start };
}

/**
 * `shape` run by `connections` connections back to back for SECONDS, each transaction carrying
 * `events` events. Every connection runs the shape once before the clock starts, so that
 * connecting and preparing the statements stay out of the window.
 */
async function sqlCell(pool: Pool, label: string, shape: Shape, counter: CounterKey, events: number, connections: number) {
  const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  try {
    await Promise.all(clients.map((client) => shape(client, counter, events)));
    const latencies: number[] = [];
    let counted = 0;
    let conflicts = 0;
    const started = process.hrtime.bigint();
    const until = Date.now() + SECONDS * 1000;
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < until) {
          const t = process.hrtime.bigint();
          const outcome = await shape(client, counter, events);
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
          counted += outcome.events;
          conflicts += outcome.conflicts;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const sorted = Float64Array.from(latencies).sort();
    const cell: Cell = {
      perSecond: counted / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      unavailable: 0,
      failures: conflicts > 0 ? `${fmt(conflicts)} lost races, retried` : '—',
    };
    log(`${label}: ${fmt(cell.perSecond)} events/s, p50 ${ms(cell.p50)} ms p99 ${ms(cell.p99)} ms a transaction`);
    return cell;
  } finally {
    for (const client of clients) client.release();
  }
}

/**
 * On a shared server (DATABASE_URL) 64 more connections may not fit beside what others hold, and
 * whoever connects last is refused. Waits, up to a minute, until they fit with some to spare.
 */
async function roomFor(db: Client, connections: number): Promise<void> {
  const free = async () =>
    (
      await db.query(
        `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
                - count(*) FILTER (WHERE backend_type = 'client backend') AS free
           FROM pg_stat_activity`,
      )
    ).rows[0].free as number;
  const spare = 10;
  for (let waited = 0; (await free()) < connections + spare; waited++) {
    if (waited === 60) {
      log(`fewer than ${connections + spare} free connections on the server after a minute; going on`);
      return;
    }
    if (waited === 0) log(`waiting for ${connections + spare} free connections on the server`);
    await sleep(1000);
  }
}

/** Read, check, write back read+1 in separate statements: what every team writes once. */
async function naive(databaseUrl: string, workers: number, seconds: number) {
  const pool = new Pool({ connectionString: databaseUrl, max: workers });
  await pool.query('CREATE TABLE naive_counter (id int PRIMARY KEY, used bigint NOT NULL)');
  await pool.query('INSERT INTO naive_counter VALUES (1, 0)');
  let increments = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        const { rows } = await pool.query('SELECT used FROM naive_counter WHERE id = 1');
        const used = Number(rows[0].used);
        if (used + 1 > LIMIT) continue;
        await pool.query('UPDATE naive_counter SET used = $1 WHERE id = 1', [used + 1]);
        increments++;
      }
    }),
  );
  const { rows } = await pool.query('SELECT used FROM naive_counter WHERE id = 1');
  await pool.end();
  return { increments, counted: Number(rows[0].used) };
}

/** Everything one run measures, for the report. */
interface Results {
  bare: Map<number, Cell>;
  live: Map<number, Cell>;
  /** `${strategy}/${connections}` through HTTP, on the (nearly) empty database. */
  empty: Map<string, Cell>;
  batchBuffered: Cell;
  batchAtomic: Cell;
  sql: Map<string, Cell>;
  lost: { increments: number; counted: number };
  seeded: SeedReport;
  /** As `empty`, after seeding. */
  large: Map<string, Cell>;
  /** Entitlement checks by strategy. */
  entitlements: Map<string, Cell>;
  postgres: string;
}

/** The shapes of the direct-SQL cells: name, strategy of the counter's feature, shape, events a transaction, connections. */
const SQL_CELLS: [string, Strategy, Shape, number, number][] = [
  ['atomic', 'atomic', atomic, 1, SQL_CONNECTIONS],
  ['atomic-combined', 'atomic', atomic, COMBINED, SQL_CONNECTIONS],
  ['pessimistic', 'pessimistic', pessimistic, 1, SQL_CONNECTIONS],
  ['pessimistic-combined', 'pessimistic', pessimistic, COMBINED, SQL_CONNECTIONS],
  ['optimistic', 'optimistic', optimistic, 1, SQL_CONNECTIONS],
  ['optimistic-combined', 'optimistic', optimistic, COMBINED, SQL_CONNECTIONS],
  // The database's part of the latency of one atomic event, for the aim on p50 at 1 connection.
  ['atomic-1', 'atomic', atomic, 1, 1],
];

async function measureAll(): Promise<Results> {
  // 1a. The ceiling, before Tally's server exists, so that nothing else runs beside it.
  const bareServer = await startBareFastify();
  const bare = new Map<number, Cell>();
  try {
    await load({ url: bareServer.url, connections: 16, seconds: WARMUP_SECONDS });
    for (const c of CONNECTIONS) bare.set(c, cellOf(await measure(`bare Fastify c=${c}`, { url: bareServer.url, connections: c })));
  } finally {
    await bareServer.stop();
  }

  const db = await benchDatabase();
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const admin = new Client({ connectionString: db.url });
  try {
    // No rollups: the large run seeds periods that have ended, and invoicing them is not what is measured.
    server = await startServer(db.url, { DB_POOL_SIZE: '20', BILLING_ROLLUP_CRON: 'off' });
    const base = server.baseUrl;
    await admin.connect();
    const postgres = (await admin.query('SHOW server_version')).rows[0].server_version;

    // Warm-up, not measured: JIT, the pool's connections, the code paths of the routes.
    log('warm-up');
    await load({ url: `${base}/health/live`, connections: 16, seconds: WARMUP_SECONDS });
    for (const strategy of ['atomic', 'buffered'] as const) {
      const c = await hotCounter(base, strategy, LIMIT, 'warmup');
      const body = JSON.stringify({ subscriptionId: c.subscriptionId, feature: c.feature });
      await load({ url: `${base}/v1/usage`, method: 'POST', body, connections: 16, seconds: WARMUP_SECONDS });
      await settle(base);
    }

    // 1b. Tally's trivial route.
    const live = new Map<number, Cell>();
    for (const c of CONNECTIONS) live.set(c, cellOf(await measure(`GET /health/live c=${c}`, { url: `${base}/health/live`, connections: c })));

    // 2. The strategies through HTTP.
    const empty = await strategyCells(base, '');

    // 7. Entitlement checks (numbered as in the table, measured while the database is small).
    const entitlements = await entitlementCells(base);

    // 3. Batch ingestion.
    const batchBuffered = await batchCell(base, 'buffered', null);
    const batchAtomic = await batchCell(base, 'atomic', HUGE_LIMIT);

    // 4. The strict strategies' SQL, straight from a pool.
    const pool = new Pool({ connectionString: db.url, max: SQL_CONNECTIONS });
    const sql = new Map<string, Cell>();
    try {
      for (const [name, strategy, shape, events, connections] of SQL_CELLS) {
        const counter = await preparedCounter(base, admin, strategy, `sql-${name}`);
        await roomFor(admin, connections - pool.totalCount);
        sql.set(name, await sqlCell(pool, `SQL ${name}`, shape, counter, events, connections));
      }
    } finally {
      await pool.end();
    }

    // 5. The naive read-check-write.
    const lost = await naive(db.url, 16, SECONDS);
    log(`naive: ${fmt(lost.increments)} increments, counter shows ${fmt(lost.counted)}`);

    // 6. The same strategy rows on a large database.
    log(`seeding ${fmt(LARGE.events)} ledger events and ${fmt(LARGE.subscriptions)} subscriptions`);
    const seeded = await seedLargeDatabase(db.url, LARGE, log);
    log(`seeded in ${seeded.seconds.toFixed(1)} s`);
    const large = await strategyCells(base, 'large-');

    return { bare, live, empty, batchBuffered, batchAtomic, sql, lost, seeded, large, entitlements, postgres };
  } finally {
    await admin.end().catch(() => undefined);
    await server?.stop();
    await db.stop();
  }
}

function tableRows(r: Results): Row[] {
  const rows: Row[] = [];
  const http = (strategy: Strategy, c: number) => r.empty.get(`${strategy}/${c}`)!;
  const sql = (name: string) => r.sql.get(name)!;

  for (const c of CONNECTIONS) rows.push({ what: 'bare Fastify, trivial route (GET)', connections: c, cell: r.bare.get(c)!, ratio: 'the HTTP ceiling' });
  for (const c of CONNECTIONS) {
    rows.push({ what: 'Tally GET /health/live', connections: c, cell: r.live.get(c)!, ratio: ratio(r.live.get(c)!, r.bare.get(c), 'bare Fastify') });
  }
  for (const strategy of STRATEGIES) {
    for (const c of CONNECTIONS) {
      const cell = http(strategy, c);
      rows.push({
        what: `${strategy}, POST /v1/usage, one hot counter`,
        connections: c,
        cell,
        ratio: strategy === 'buffered' ? ratio(cell, r.bare.get(c), 'bare Fastify') : ratio(cell, http('buffered', c), 'buffered'),
      });
    }
  }
  rows.push({
    what: `batch ingestion, buffered (${BATCH_EVENTS} events a request, no limit); events/s, ms a request`,
    connections: BATCH_CONNECTIONS,
    cell: r.batchBuffered,
    ratio: ratio(r.batchBuffered, http('buffered', 64), 'buffered single events at 64'),
  });
  rows.push({
    what: `batch ingestion, atomic (${BATCH_EVENTS} events a request, limit 10^12); events/s, ms a request`,
    connections: BATCH_CONNECTIONS,
    cell: r.batchAtomic,
    ratio: ratio(r.batchAtomic, http('atomic', 64), 'atomic single events at 64'),
  });

  const sqlRow = (name: string, what: string, ratioText: string) =>
    rows.push({ what: `SQL without HTTP: ${what}; ms a transaction`, connections: SQL_CELLS.find(([n]) => n === name)![4], cell: sql(name), ratio: ratioText });
  sqlRow('atomic', 'atomic, tally_count_atomic() with one event', ratio(sql('atomic'), http('atomic', 64), 'HTTP atomic at 64'));
  sqlRow('atomic-combined', `atomic, combining ${COMBINED} events a statement`, ratio(sql('atomic-combined'), sql('atomic'), 'one event a statement'));
  sqlRow('pessimistic', 'pessimistic: BEGIN; SELECT … FOR UPDATE; UPDATE; INSERT; COMMIT', ratio(sql('pessimistic'), http('pessimistic', 64), 'HTTP pessimistic at 64'));
  sqlRow('pessimistic-combined', `pessimistic, combining ${COMBINED} events a transaction`, ratio(sql('pessimistic-combined'), sql('pessimistic'), 'one event a transaction'));
  sqlRow('optimistic', 'optimistic: read version; UPDATE … WHERE version; INSERT; retry at once', ratio(sql('optimistic'), http('optimistic', 64), 'HTTP optimistic at 64'));
  sqlRow('optimistic-combined', `optimistic, combining ${COMBINED} events a transaction`, ratio(sql('optimistic-combined'), sql('optimistic'), 'one event a transaction'));
  sqlRow('atomic-1', 'atomic, tally_count_atomic() with one event', ratio(sql('atomic-1'), http('atomic', 1), 'HTTP atomic at 1'));

  const { increments, counted } = r.lost;
  rows.push({
    what: 'naive read-check-write (SQL, no HTTP); increments reported',
    connections: 16,
    cell: { perSecond: increments / SECONDS, unavailable: 0, failures: '—' },
    ratio: `counter shows ${fmt(counted)} of ${fmt(increments)}: ${fmt(increments - counted)} updates (${fmt((100 * (increments - counted)) / Math.max(1, increments), 1)}%) lost`,
  });

  for (const strategy of STRATEGIES) {
    for (const c of CONNECTIONS) {
      const cell = r.large.get(`${strategy}/${c}`)!;
      rows.push({ what: `${strategy}, POST /v1/usage, with ${largeLabel()}`, connections: c, cell, ratio: ratio(cell, http(strategy, c), 'empty database') });
    }
  }
  rows.push(...entitlementRows(r.entitlements));
  return rows;
}

const largeLabel = () => `${fmt(LARGE.events / 1e6, 1)} M ledger events, ${fmt(LARGE.subscriptions / 1000)} k subscriptions`;

/** Each aim of issue 9, reached or not, with the figures that say so. */
function aims(r: Results): [boolean, string][] {
  const out: [boolean, string][] = [];
  const aim = (reached: boolean, text: string) => out.push([reached, text]);
  const http = (strategy: Strategy, c: number) => r.empty.get(`${strategy}/${c}`)!;

  const bare64 = r.bare.get(64)!.perSecond;
  const live64 = r.live.get(64)!.perSecond;
  aim(live64 >= 0.6 * bare64, `Tally's trivial route ≥ 60% of bare Fastify (64 connections): ${pct(live64 / bare64)} (${fmt(live64)} vs ${fmt(bare64)} requests/s)`);

  const buffered = http('buffered', 64);
  aim(
    buffered.perSecond >= 0.5 * bare64 && (buffered.p99 ?? Infinity) <= 20,
    `buffered single events at 64 ≥ 50% of bare Fastify, p99 ≤ 20 ms: ${pct(buffered.perSecond / bare64)} (${fmt(buffered.perSecond)} events/s), p99 ${ms(buffered.p99)} ms`,
  );
  for (const strategy of ['atomic', 'pessimistic'] as const) {
    const cell = http(strategy, 64);
    aim(
      cell.perSecond >= 0.5 * buffered.perSecond,
      `${strategy} at 64 ≥ 50% of buffered: ${pct(cell.perSecond / buffered.perSecond)} (${fmt(cell.perSecond)} vs ${fmt(buffered.perSecond)} events/s)`,
    );
  }
  const optimistic64 = http('optimistic', 64);
  const optimistic503 = CONNECTIONS.reduce((n, c) => n + http('optimistic', c).unavailable + r.large.get(`optimistic/${c}`)!.unavailable, 0);
  aim(
    optimistic64.perSecond >= 0.25 * buffered.perSecond && optimistic503 === 0,
    `optimistic at 64 ≥ 25% of buffered with no 503: ${pct(optimistic64.perSecond / buffered.perSecond)} (${fmt(optimistic64.perSecond)} events/s); ` +
      `503s in the ${CONNECTIONS.length * 2} optimistic cells: ${optimistic503}`,
  );
  aim(r.batchBuffered.perSecond >= 100_000, `batch ingestion buffered ≥ 100,000 events/s: ${fmt(r.batchBuffered.perSecond)}`);
  aim(r.batchAtomic.perSecond >= 50_000, `batch ingestion atomic ≥ 50,000 events/s: ${fmt(r.batchAtomic.perSecond)}`);
  const atomic1 = http('atomic', 1);
  aim(
    (atomic1.p50 ?? Infinity) <= 1.5,
    `atomic at 1 connection p50 ≤ 1.5 ms: ${ms(atomic1.p50)} ms (its SQL alone: ${ms(r.sql.get('atomic-1')!.p50)} ms; ` +
      `bare Fastify's trivial route: ${ms(r.bare.get(1)!.p50)} ms)`,
  );
  const ratios = STRATEGIES.flatMap((strategy) =>
    CONNECTIONS.map((c) => ({ cell: `${strategy} at ${c}`, ratio: r.large.get(`${strategy}/${c}`)!.perSecond / http(strategy, c).perSecond })),
  );
  const below = ratios.filter((x) => !(x.ratio >= 0.8));
  const lowest = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  aim(
    below.length === 0,
    `with ${largeLabel()} every rate ≥ 80% of the empty run: lowest ${pct(lowest.ratio)} (${lowest.cell}); ` +
      `below 80%: ${below.map((x) => `${x.cell} ${pct(x.ratio)}`).join(', ') || 'none'}`,
  );
  out.push(...entitlementAims(r.entitlements));
  return out;
}

function printTable(rows: Row[]): void {
  console.log(`\n## Tally benchmark: ${SECONDS} s per cell${QUICK ? ' (BENCH_QUICK smoke run: figures mean nothing)' : ''}\n`);
  console.log('| what | connections | per second | p50 ms | p99 ms | non-2xx | ratio (to what) |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- | --- |');
  for (const { what, connections, cell, ratio: to } of rows) {
    console.log(`| ${what} | ${connections} | ${fmt(cell.perSecond)} | ${ms(cell.p50)} | ${ms(cell.p99)} | ${cell.failures} | ${to} |`);
  }
}

const machine = () => `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${fmt(totalmem() / 2 ** 30)} GiB, Linux ${release()}`;

/** BENCH_ONLY=entitlements: the entitlement cells alone, after the same warm-up. */
async function entitlementsOnly(): Promise<void> {
  const db = await benchDatabase();
  const server = await startServer(db.url, { DB_POOL_SIZE: '20', BILLING_ROLLUP_CRON: 'off' });
  try {
    log('warm-up');
    await load({ url: `${server.baseUrl}/health/live`, connections: 16, seconds: WARMUP_SECONDS });
    await entitlementCells(server.baseUrl, 'entitlements-warmup');
    // Tally's trivial route beside them: what the machine allows an answer at this moment.
    const live = cellOf(await measure(`GET /health/live c=${ENTITLEMENT_CONNECTIONS}`, { url: `${server.baseUrl}/health/live`, connections: ENTITLEMENT_CONNECTIONS }));
    const cells = await entitlementCells(server.baseUrl);
    printTable([
      { what: 'Tally GET /health/live', connections: ENTITLEMENT_CONNECTIONS, cell: live, ratio: 'the ceiling of this run' },
      ...entitlementRows(cells),
    ]);
    console.log(`\nMachine: ${machine()}; Node ${process.version}. Server, PostgreSQL and load generator share the cores.`);
    console.log('\nAims (issue 13):');
    for (const [reached, text] of entitlementAims(cells)) console.log(`- ${reached ? 'reached' : 'NOT reached'}: ${text}`);
  } finally {
    await server.stop();
    await db.stop();
  }
}

function report(r: Results): void {
  printTable(tableRows(r));
  console.log(
    '\nPer second: requests answered 2xx, or events counted (ledger rows). Latency: of 2xx answers, or of one SQL transaction. ' +
      'non-2xx: answers by status code, and requests left without one; for SQL rows, optimistic attempts that lost the race.',
  );

  const database = process.env.DATABASE_URL
    ? `PostgreSQL ${r.postgres} (DATABASE_URL, ${new URL(process.env.DATABASE_URL).host})`
    : `embedded PostgreSQL ${r.postgres}`;
  console.log(
    `\nMachine: ${machine()}; ` +
      `${database}; Node ${process.version}. Server, PostgreSQL and load generator share the cores.`,
  );
  console.log(
    `Seeding ${fmt(LARGE.events)} ledger events, ${fmt(LARGE.subscriptions)} subscriptions and ${fmt(r.seeded.counters)} counters: ` +
      `${r.seeded.seconds.toFixed(1)} s (${r.seeded.steps.map(([name, t]) => `${name} ${t.toFixed(1)} s`).join(', ')}).`,
  );

  console.log('\nAims (issues 9 and 13):');
  for (const [reached, text] of aims(r)) console.log(`- ${reached ? 'reached' : 'NOT reached'}: ${text}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  // The embedded PostgreSQL logs through Nest's logger, which writes to stdout: keep stdout for the results.
  const toStderr = (message: unknown, context?: unknown) => log(`${context ?? 'nest'}: ${String(message)}`);
  Logger.overrideLogger({ log: toStderr, error: toStderr, warn: toStderr, debug: () => undefined, verbose: () => undefined });
  log(`${SECONDS} s per cell${QUICK ? ' (BENCH_QUICK: a smoke run, the figures mean nothing)' : ''}`);
  if (process.env.BENCH_ONLY === 'entitlements') await entitlementsOnly();
  else report(await measureAll());
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
