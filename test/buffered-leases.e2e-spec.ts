import { inPool } from './support/concurrent';
import { meteredSubscription } from './support/fixtures';
import { Answer, postJson, statusCounts } from './support/http';
import { ServerProcess, killLeftovers, startServer, stream } from './support/server-process';
import { connect, createTestDatabase, instances, ledgerKeys, sql, totals } from './support/test-database';
import { until } from './support/until';

/**
 * Quota leases of the buffered strategy across real server processes: each process spends in
 * memory only what it leased with a conditional UPDATE, so together they accept exactly the
 * limit; and the unspent slice of a process killed with SIGKILL returns to the survivors once
 * their flush tick has retired it.
 */
const LIMIT = 1000;
const FLUSH_MS = 200;

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killLeftovers();
  for (const drop of drops) await drop().catch(() => undefined);
});

async function threeProcesses(databaseUrl: string) {
  const env = { USAGE_FLUSH_INTERVAL_MS: String(FLUSH_MS) };
  const servers: ServerProcess[] = [];
  const ids: string[] = [];
  // One after another, to learn which instance row is whose (and the first one migrates).
  for (let i = 0; i < 3; i++) {
    servers.push(await startServer({ databaseUrl, env }));
    const now = await instances(databaseUrl);
    ids.push(now.find((id) => !ids.includes(id))!);
  }
  expect(ids.filter(Boolean)).toHaveLength(3);
  return { servers, ids };
}


/** After every process has stopped: exactly the limit counted, flushed and in the ledger, no lease left. */
async function expectSettledAtLimit(databaseUrl: string, subscriptionId: string): Promise<void> {
  expect(await totals(databaseUrl, subscriptionId)).toEqual({
    counters: 1,
    used: LIMIT,
    reserved: 0,
    limit: LIMIT,
    events: LIMIT,
    quantity: LIMIT,
  });
  expect(await instances(databaseUrl)).toEqual([]);
}
it('3 processes, limit 1000, 5000 concurrent events spread over them → exactly 1000 accepted', async () => {
  const db = await createTestDatabase();
  drops.push(db.drop);
  const { servers } = await threeProcesses(db.url);
  const m = await meteredSubscription(servers[0].baseUrl, { strategy: 'buffered', limit: LIMIT });
  const body = { subscriptionId: m.subscriptionId, feature: m.feature, quantity: 1 };

  // 5000 events, 600 in flight at any moment (200 per process), round-robin over the processes.
  const answers = await inPool(Array.from({ length: 5000 }), 600, (_, i) =>
    postJson(servers[i % 3].baseUrl, '/v1/usage', body),
  );
  expect(statusCounts(answers)).toEqual({ 201: LIMIT, 429: 5000 - LIMIT });
  // Every process took part in the accepting.
  for (const s of servers) {
    expect(answers.some((a, i) => a.status === 201 && servers[i % 3] === s)).toBe(true);
  }
  for (const a of answers.filter((x) => x.status === 201)) {
    expect(a.body.used).toBeLessThanOrEqual(LIMIT);
    expect(a.body.remaining).toBe(LIMIT - a.body.used);
  }
  expect(await totals(db.url, m.subscriptionId)).toMatchObject({ events: LIMIT, quantity: LIMIT });

  for (const exit of await Promise.all(servers.map((s) => s.stop()))) expect(exit).toEqual({ code: 0, signal: null });
  await expectSettledAtLimit(db.url, m.subscriptionId);
});

it('kill -9 one of 3 processes mid-run: its unspent slice returns to the survivors; exactly 1000 accepted in all', async () => {
  const db = await createTestDatabase();
  drops.push(db.drop);
  const { servers, ids } = await threeProcesses(db.url);
  const [a, b, victim] = servers;
  const victimId = ids[2];
  const m = await meteredSubscription(a.baseUrl, { strategy: 'buffered', limit: LIMIT });
  const event = (key: string) => ({ subscriptionId: m.subscriptionId, feature: m.feature, idempotencyKey: key });

  // A stream over all three; the victim is killed once it holds an unspent slice and some
  // hundreds have been accepted (well before the limit).
  const flow = stream(45, () => servers, (seq) => event(`run-${seq}`));
  const probe = await connect(db.url);
  let unspent = 0;
  try {
    await flow.until(async () => {
      if (flow.count(201) < 250) return false;
      const { rows } = await probe.query(
        `SELECT (granted - spent)::float8 AS unspent FROM usage_leases WHERE instance_id = $1 AND subscription_id = $2`,
        [victimId, m.subscriptionId],
      );
      unspent = rows[0]?.unspent ?? 0;
      return unspent > 0;
    });
    victim.kill('SIGKILL');
  } finally {
    await probe.end();
  }
  const acceptedAtKill = flow.count(201);
  expect(await victim.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
  const run = await flow.stop();
  expect(run.filter((s) => ![201, 429, 0].includes(s.outcome.status)).slice(0, 1)).toEqual([]);
  expect(run.some((s) => s.outcome.status === 0 && s.target === victim)).toBe(true);
  expect(run.filter((s) => s.outcome.status === 201).length).toBeLessThan(LIMIT);

  // The survivors' flush tick (every 200 ms) finds the victim's liveness lock free and retires
  // it: its events flushed into the counter, its lease gone, its reserved quota returned.
  await until(async () => !(await instances(db.url)).includes(victimId), `dead instance ${victimId} retired`, {
    timeoutMs: 5000,
    everyMs: 50,
  });
  expect(await instances(db.url)).toEqual([ids[0], ids[1]]);
  // One snapshot: the counter row, the live leases, and what the victim had accepted.
  const [snap] = await sql(
    db.url,
    `SELECT c.used::float8 AS used, c.reserved::float8 AS reserved,
            (SELECT coalesce(sum(granted), 0)::float8 FROM usage_leases l WHERE l.subscription_id = c.subscription_id) AS leased,
            (SELECT count(*)::int FROM usage_leases l WHERE l.subscription_id = c.subscription_id AND l.instance_id = $2) AS victim_leases,
            (SELECT coalesce(sum(quantity), 0)::float8 FROM usage_events e
              WHERE e.subscription_id = c.subscription_id AND e.instance_id = $2) AS victim_accepted
       FROM usage_counters c WHERE c.subscription_id = $1`,
    [m.subscriptionId, victimId],
  );
  // What the victim accepted is in the counter now, its lease is gone, and `reserved` is exactly
  // what the survivors' leases hold: nothing of the victim's slice stays locked away.
  expect(snap.victim_leases).toBe(0);
  expect(snap.victim_accepted).toBeGreaterThan(0);
  expect(snap.used).toBeGreaterThanOrEqual(snap.victim_accepted);
  expect(snap.reserved).toBe(snap.leased);
  expect(snap.used + snap.reserved).toBeLessThanOrEqual(LIMIT);

  // The clients retry what got no answer (same key) on the survivors, then send fresh events
  // to the survivors until they are refused for the limit.
  const unanswered = run.filter((s) => s.outcome.status === 0);
  const retries = await Promise.all(
    unanswered.map((s, i) => postJson([a, b][i % 2].baseUrl, '/v1/usage', s.request)),
  );
  expect(retries.filter((r) => ![201, 200, 429].includes(r.status)).slice(0, 1)).toEqual([]);
  const more: { key: string; outcome: Answer }[] = [];
  for (let round = 0; round < 40; round++) {
    const keys = Array.from({ length: 100 }, (_, i) => `more-${round}-${i}`);
    const answers = await Promise.all(keys.map((k, i) => postJson([a, b][i % 2].baseUrl, '/v1/usage', event(k))));
    answers.forEach((outcome, i) => more.push({ key: keys[i], outcome }));
    expect(answers.filter((x) => ![201, 429].includes(x.status)).slice(0, 1)).toEqual([]);
    if (answers.every((x) => x.status === 429)) break;
  }
  expect(more.slice(-100).every((x) => x.outcome.status === 429)).toBe(true);

  for (const s of [a, b]) expect(await s.stop()).toEqual({ code: 0, signal: null });

  // Accepted over the whole test: 201s of the run, retries answered 201 or 200 (durable before
  // the kill, answer lost), and 201s afterwards. Exactly the limit, counter == ledger.
  const accepted = new Set([
    ...run.filter((s) => s.outcome.status === 201).map((s) => s.request.idempotencyKey),
    ...unanswered.filter((_, i) => [201, 200].includes(retries[i].status)).map((s) => s.request.idempotencyKey),
    ...more.filter((x) => x.outcome.status === 201).map((x) => x.key),
  ]);
  expect(accepted.size).toBe(LIMIT);
  const ledger = await ledgerKeys(db.url, m.subscriptionId);
  expect([...ledger.keys()].sort()).toEqual([...accepted].sort());
  await expectSettledAtLimit(db.url, m.subscriptionId);
  console.log(
    `leases: victim held ${unspent} unspent at the kill (${acceptedAtKill} accepted by then); run ${JSON.stringify(statusCounts(run.map((s) => s.outcome)))}, ` +
      `retries ${JSON.stringify(statusCounts(retries))}, more ${JSON.stringify(statusCounts(more.map((x) => x.outcome)))}`,
  );
});
