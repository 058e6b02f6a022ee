import { setTimeout as sleep } from 'node:timers/promises';
import { meteredSubscription } from './support/fixtures';
import { Answer, postJson, send, statusCounts } from './support/http';
import { ServerProcess, killLeftovers, startServer, stream } from './support/server-process';
import { until } from './support/until';
import { TcpProxy, startTcpProxy } from './support/tcp-proxy';
import { connect, createTestDatabase, ledgerKeys, sql, totals } from './support/test-database';

/**
 * Issue 10: faults of the database under load, against a real server process. Whatever the
 * database does, every answer is one of the contract's (never 500), none takes longer than
 * REQUEST_TIMEOUT_MS plus a second, and the ledger holds exactly the acknowledged events once the
 * client has done what the README tells it to: retry a 503 with the same idempotency key.
 */

const TIMEOUT_MS = 2000;
/** What the contract allows beyond REQUEST_TIMEOUT_MS. */
const MARGIN_MS = 1000;
const ANSWERS = new Set([200, 201, 429, 503]);

const drops: (() => Promise<void>)[] = [];
const proxies: TcpProxy[] = [];
afterAll(async () => {
  await killLeftovers();
  for (const proxy of proxies) await proxy.close();
  for (const drop of drops) await drop().catch(() => undefined);
});

async function serverOnFreshDatabase() {
  const db = await createTestDatabase();
  drops.push(db.drop);
  const server = await startServer({ databaseUrl: db.url, env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) } });
  return { db, server };
}

/** Terminates every session of the app on `databaseUrl` (not the test's own), every `everyMs`, until stopped. */
function connectionKiller(databaseUrl: string, everyMs: number) {
  let stopped = false;
  let kills = 0;
  const running = (async () => {
    const admin = await connect(databaseUrl);
    try {
      while (!stopped) {
        const { rows } = await admin.query(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        kills += rows[0].n;
        await sleep(everyMs);
      }
    } finally {
      await admin.end();
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return kills;
    },
  };
}

/** Retries every key whose last answer was 503 until it is acknowledged (or refused for the limit). */
async function retryUnavailable(baseUrl: string, path: string, pending: Map<string, unknown>): Promise<Map<string, Answer>> {
  const final = new Map<string, Answer>();
  for (let round = 0; pending.size > 0; round++) {
    if (round > 100) throw new Error(`keys still unavailable after 100 rounds: ${[...pending.keys()].slice(0, 5)}`);
    for (const [key, body] of [...pending]) {
      const answer = await postJson(baseUrl, path, body);
      if (answer.status === 503) continue;
      final.set(key, answer);
      pending.delete(key);
    }
    if (pending.size > 0) await sleep(100);
  }
  return final;
}

/** Once the faults stop, the instance recovers by itself (a buffered one registers anew). */
const readyAgain = (server: ServerProcess) =>
  until(async () => (await send(server.baseUrl, 'GET', '/health/ready')).status === 200, 'ready again', { timeoutMs: 15_000 });

/** Every answer in the contract: a known status with the contract's error body on refusals. */
function expectContractAnswers(answers: Answer[]): void {
  const outside = answers.filter((a) => !ANSWERS.has(a.status));
  expect(outside.map((a) => `${a.status} ${JSON.stringify(a.body ?? a.error)}`.slice(0, 300))).toEqual([]);
  for (const a of answers.filter((x) => x.status === 503)) {
    expect(a.body).toMatchObject({ statusCode: 503, code: expect.stringMatching(/^(unavailable|contention)$/) });
    expect(a.headers['retry-after']).toMatch(/^\d+$/);
  }
}

describe.each(['atomic', 'pessimistic', 'optimistic', 'buffered'])('connections killed under keyed load: %s', (strategy) => {
  it('answers 201, 200, 429 or 503, never 500; the ledger equals the acknowledged keys', async () => {
    const { db, server } = await serverOnFreshDatabase();
    const limit = 500;
    const sub = await meteredSubscription(server.baseUrl, { strategy, limit });
    const body = (seq: number) => ({
      subscriptionId: sub.subscriptionId,
      feature: sub.feature,
      // Every fifth request repeats the key of the one before: duplicates under faults too.
      idempotencyKey: `k-${seq % 5 === 4 ? seq - 1 : seq}`,
    });
    const load = stream(16, () => [server], body);
    await load.until((sent) => sent.length >= 50);
    const killer = connectionKiller(db.url, 150);
    await load.until((sent) => sent.length >= 700, 30_000);
    const kills = await killer.stop();
    const sent = await load.stop();
    expect(kills).toBeGreaterThan(0);

    const answers = sent.map((s) => s.outcome);
    if (answers.some((a) => a.status === 0)) console.log(server.output().split('\n').filter((l) => !/request completed|database unavailable/.test(l)).slice(-30).join('\n'));
    expectContractAnswers(answers);
    // The client retries what was unavailable, with its key.
    const last = new Map<string, Answer>();
    for (const s of sent) last.set((s.request as any).idempotencyKey, s.outcome);
    const pending = new Map([...last].filter(([, a]) => a.status === 503).map(([key]) => [key, { ...body(0), idempotencyKey: key }]));
    for (const [key, answer] of await retryUnavailable(server.baseUrl, '/v1/usage', pending)) last.set(key, answer);

    const acknowledged = [...last].filter(([, a]) => a.status === 201 || a.status === 200).map(([key]) => key);
    const refused = [...last].filter(([, a]) => a.status === 429).map(([key]) => key);
    const ledger = await ledgerKeys(db.url, sub.subscriptionId);
    expect([...ledger.values()].every((n) => n === 1)).toBe(true);
    expect([...ledger.keys()].sort()).toEqual(acknowledged.sort());
    for (const key of refused) expect(ledger.has(key)).toBe(false);
    expect(ledger.size).toBeLessThanOrEqual(limit);

    // Counters agree with the ledger once buffered counts are flushed by a graceful stop.
    await readyAgain(server);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
    const t = await totals(db.url, sub.subscriptionId);
    expect(t).toMatchObject({ events: ledger.size, quantity: ledger.size, used: ledger.size, reserved: 0 });
  });
});

describe('connections killed under batch load', () => {
  it('answers each event: committed ones accepted, the rest unavailable; never 500', async () => {
    const { db, server } = await serverOnFreshDatabase();
    const sub = await meteredSubscription(server.baseUrl, { strategy: 'atomic', limit: null });
    const batch = (seq: number) => ({
      events: Array.from({ length: 20 }, (_, i) => ({
        subscriptionId: sub.subscriptionId,
        feature: sub.feature,
        idempotencyKey: `b-${seq}-${i}`,
      })),
    });
    const load = stream(8, () => [server], batch, '/v1/usage/batch');
    await load.until((sent) => sent.length >= 10);
    const killer = connectionKiller(db.url, 100);
    await load.until((sent) => sent.length >= 150, 30_000);
    expect(await killer.stop()).toBeGreaterThan(0);
    const sent = await load.stop();

    expect(statusCounts(sent.map((s) => s.outcome.status === 200 ? { status: 200 } : s.outcome))).toEqual({
      200: sent.length,
    });
    const last = new Map<string, string>();
    const events = new Map<string, unknown>();
    for (const s of sent) {
      const request = s.request as ReturnType<typeof batch>;
      for (const result of s.outcome.body.results) {
        expect(['accepted', 'duplicate', 'unavailable']).toContain(result.status);
        const event = request.events[result.index];
        last.set(event.idempotencyKey, result.status);
        events.set(event.idempotencyKey, event);
      }
    }
    const unavailable = [...last].filter(([, status]) => status === 'unavailable').map(([key]) => key);
    const pending = new Map(unavailable.map((key) => [key, events.get(key)]));
    for (const [key, answer] of await retryUnavailable(server.baseUrl, '/v1/usage', pending)) {
      expect([200, 201]).toContain(answer.status);
      last.set(key, 'accepted');
    }
    const ledger = await ledgerKeys(db.url, sub.subscriptionId);
    expect([...ledger.values()].every((n) => n === 1)).toBe(true);
    expect([...ledger.keys()].sort()).toEqual([...last.keys()].sort());
    await server.stop();
  });
});

/** Sends `n` requests, `every` ms apart, each timed; resolves with the answers and their durations. */
async function timedRequests(n: number, everyMs: number, make: (i: number) => Promise<Answer>) {
  const pending: Promise<{ answer: Answer; ms: number }>[] = [];
  for (let i = 0; i < n; i++) {
    const started = Date.now();
    pending.push(make(i).then((answer) => ({ answer, ms: Date.now() - started })));
    await sleep(everyMs);
  }
  return Promise.all(pending);
}

describe('deadlines', () => {
  it(`a table lock held past the deadline: every request answered within REQUEST_TIMEOUT_MS + 1 s; recovery after`, async () => {
    const { db, server } = await serverOnFreshDatabase();
    const subs = await Promise.all(
      ['atomic', 'pessimistic', 'optimistic', 'buffered'].map((strategy) => meteredSubscription(server.baseUrl, { strategy, limit: 1000 })),
    );
    const one = (i: number) => {
      const sub = subs[i % subs.length];
      return postJson(server.baseUrl, '/v1/usage', { subscriptionId: sub.subscriptionId, feature: sub.feature, idempotencyKey: `t-${i}` });
    };
    // Each counter exists (and the buffered instance holds no lease that would let it answer from memory).
    for (let i = 0; i < 4; i++) expect((await one(1000 + i)).status).toBe(201);

    const locker = await connect(db.url);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE usage_counters, usage_events IN ACCESS EXCLUSIVE MODE');
    const during = timedRequests(24, 100, one);
    // A batch answers its deadline itself: 200, each event accepted or unavailable.
    const batchStarted = Date.now();
    const batchDuring = postJson(server.baseUrl, '/v1/usage/batch', {
      events: subs.map((sub, i) => ({ subscriptionId: sub.subscriptionId, feature: sub.feature, idempotencyKey: `tb-${i}` })),
    }).then((answer) => ({ answer, ms: Date.now() - batchStarted }));
    await sleep(TIMEOUT_MS * 2);
    const answered = await during;
    const batch = await batchDuring;
    await locker.query('ROLLBACK');
    await locker.end();

    const slow = answered.filter((a) => a.ms > TIMEOUT_MS + MARGIN_MS);
    expect(slow.map((a) => a.ms)).toEqual([]);
    expectContractAnswers(answered.map((a) => a.answer));
    expect(answered.filter((a) => a.answer.status === 503).length).toBeGreaterThan(0);
    expect(batch.ms).toBeLessThanOrEqual(TIMEOUT_MS + MARGIN_MS);
    expect(batch.answer.status).toBe(200);
    const batchStatuses = batch.answer.body.results.map((r: { status: string }) => r.status);
    expect(batchStatuses.filter((s: string) => s !== 'accepted' && s !== 'unavailable')).toEqual([]);
    expect(batchStatuses).toContain('unavailable');

    // Recovery: the same keys again; whatever was answered 503 is counted now, once.
    const again = await timedRequests(24, 10, one);
    expect(again.map((a) => a.answer.status).filter((s) => s !== 201 && s !== 200)).toEqual([]);
    for (const sub of subs) {
      const keys = await ledgerKeys(db.url, sub.subscriptionId);
      expect([...keys.values()].every((n) => n === 1)).toBe(true);
    }
    const events = await sql(db.url, `SELECT count(*)::int AS n FROM usage_events WHERE idempotency_key LIKE 't-%'`);
    expect(events[0].n).toBe(24 + 4);
    await server.stop();
  });

  it('a frozen network between Tally and PostgreSQL: every request and the readiness probe answered in time; recovery after', async () => {
    const db = await createTestDatabase();
    drops.push(db.drop);
    const target = new URL(db.url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    proxies.push(proxy);
    const server = await startServer({ databaseUrl: proxy.urlFor(db.url), env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) } });
    const subs = await Promise.all(
      ['atomic', 'pessimistic', 'optimistic'].map((strategy) => meteredSubscription(server.baseUrl, { strategy, limit: 1000 })),
    );
    const one = (i: number) => {
      const sub = subs[i % subs.length];
      return postJson(server.baseUrl, '/v1/usage', { subscriptionId: sub.subscriptionId, feature: sub.feature, idempotencyKey: `f-${i}` });
    };
    for (let i = 0; i < 3; i++) expect((await one(1000 + i)).status).toBe(201);

    proxy.freeze();
    const ready = (async () => {
      const started = Date.now();
      const answer = await send(server.baseUrl, 'GET', '/health/ready');
      return { answer, ms: Date.now() - started };
    })();
    const answered = await timedRequests(30, 100, one);
    const probe = await ready;
    await sleep(TIMEOUT_MS);
    proxy.thaw();

    expect(answered.filter((a) => a.ms > TIMEOUT_MS + MARGIN_MS).map((a) => a.ms)).toEqual([]);
    expectContractAnswers(answered.map((a) => a.answer));
    expect(answered.filter((a) => a.answer.status === 503).length).toBeGreaterThan(0);
    // Readiness answers within its own ping timeout (1 s) plus the margin: down, not hanging.
    expect(probe.ms).toBeLessThan(1000 + MARGIN_MS);
    expect(probe.answer.status).toBe(503);

    // Recovery: the same keys, retried until acknowledged, are each counted once.
    const pending = new Map(
      answered.map((a, i) => [i, a] as const).filter(([, a]) => a.answer.status === 503).map(([i]) => [String(i), i]),
    );
    for (let round = 0; pending.size > 0; round++) {
      if (round > 100) throw new Error('no recovery after the thaw');
      for (const [key, i] of [...pending]) if ((await one(i)).status !== 503) pending.delete(key);
      await sleep(100);
    }
    expect((await send(server.baseUrl, 'GET', '/health/ready')).status).toBe(200);
    for (const sub of subs) {
      const keys = await ledgerKeys(db.url, sub.subscriptionId);
      expect([...keys.values()].every((n) => n === 1)).toBe(true);
    }
    const events = await sql(db.url, `SELECT count(*)::int AS n FROM usage_events WHERE idempotency_key LIKE 'f-%'`);
    expect(events[0].n).toBe(30 + 3);
    await server.stop();
  });
});
