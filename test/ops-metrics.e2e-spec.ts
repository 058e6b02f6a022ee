import { setTimeout as sleep } from 'node:timers/promises';
import { meteredSubscription } from './support/fixtures';
import { Family, parsePrometheusText, sampleValue } from './support/prometheus-text';
import { TestApp, createTestApp } from './support/test-app';

describe('metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { usageFlushIntervalMs: 50 } });
  });
  afterAll(() => t.close());

  async function scrape(): Promise<Map<string, Family>> {
    const res = await t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(res.text);
  }

  it('parses as Prometheus text, with HELP and TYPE for every family of Tally', async () => {
    const families = await scrape();
    const tally = [...families.values()].filter((f) => f.name.startsWith('tally_'));
    expect(tally.map((f) => f.name).sort()).toEqual(
      expect.arrayContaining([
        'tally_buffered_batch_events',
        'tally_buffered_flush_duration_seconds',
        'tally_buffered_lease_requests_total',
        'tally_buffered_pending_events',
        'tally_buffered_unflushed_units',
        'tally_http_request_duration_seconds',
        'tally_http_requests_in_flight',
        'tally_http_requests_total',
        'tally_rollup_duration_seconds',
        'tally_rollup_invoices_created_total',
        'tally_rollup_runs_total',
        'tally_usage_events_total',
      ]),
    );
    for (const f of tally) {
      expect({ name: f.name, help: typeof f.help, type: f.type }).toEqual({ name: f.name, help: 'string', type: expect.not.stringMatching(/untyped/) });
    }
    // Process metrics ride along under their usual names.
    expect(families.has('process_cpu_seconds_total')).toBe(true);
  });

  it.each(['atomic', 'pessimistic', 'optimistic', 'buffered'])(
    'counts accepted, duplicate and over-limit usage events of the %s strategy',
    async (strategy) => {
      const before = await scrape();
      const m = await meteredSubscription(t.baseUrl, { strategy, limit: 2 });
      const body = { subscriptionId: m.subscriptionId, feature: m.feature };
      expect((await t.http().post('/v1/usage').send({ ...body, idempotencyKey: 'k1' })).status).toBe(201);
      expect((await t.http().post('/v1/usage').send({ ...body, idempotencyKey: 'k1' })).status).toBe(200);
      expect((await t.http().post('/v1/usage').send({ ...body, quantity: 1 })).status).toBe(201);
      expect((await t.http().post('/v1/usage').send({ ...body, quantity: 1 })).status).toBe(429);
      // The batch route counts through the same place.
      const batch = await t.http().post('/v1/usage/batch').send({ events: [{ ...body }, { ...body, idempotencyKey: 'k1' }] });
      expect(batch.body.results.map((r: any) => r.status)).toEqual(['limit_exceeded', 'duplicate']);
      const after = await scrape();

      const moved = (outcome: string) =>
        sampleValue(after, 'tally_usage_events_total', { strategy, outcome }) -
        sampleValue(before, 'tally_usage_events_total', { strategy, outcome });
      expect({ accepted: moved('accepted'), duplicate: moved('duplicate'), limit_exceeded: moved('limit_exceeded') }).toEqual({
        accepted: 2,
        duplicate: 2,
        limit_exceeded: 2,
      });
    },
  );

  it('shows the buffered strategy at work: batches, leases, flushes, nothing left pending', async () => {
    const before = await scrape();
    const m = await meteredSubscription(t.baseUrl, { strategy: 'buffered', limit: 1000 });
    const events = Array.from({ length: 50 }, () => ({ subscriptionId: m.subscriptionId, feature: m.feature }));
    const res = await t.http().post('/v1/usage/batch').send({ events });
    expect(res.body.results.every((r: any) => r.status === 'accepted')).toBe(true);
    await sleep(300); // a few flush intervals

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    // 50 events handed over together share batches: fewer batches than events, all 50 in them.
    expect(delta('tally_buffered_batch_events_sum')).toBe(50);
    expect(delta('tally_buffered_batch_events_count')).toBeGreaterThanOrEqual(1);
    expect(delta('tally_buffered_batch_events_count')).toBeLessThan(50);
    expect(delta('tally_buffered_lease_requests_total', { result: 'granted' })).toBeGreaterThanOrEqual(1);
    expect(delta('tally_buffered_flush_duration_seconds_count', { result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, 'tally_buffered_pending_events')).toBe(0);
    expect(sampleValue(after, 'tally_buffered_unflushed_units')).toBe(0);
  });

  it('counts requests and their latency per route template and status, never per raw URL', async () => {
    const before = await scrape();
    await t.http().get('/v1/features/one-thing');
    await t.http().get('/v1/features/another-thing');
    await t.http().get('/no/such/route/abc123');
    const after = await scrape();
    const labels = { method: 'GET', route: '/v1/features/:key', status: '404' };
    expect(sampleValue(after, 'tally_http_requests_total', labels) - sampleValue(before, 'tally_http_requests_total', labels)).toBe(2);
    expect(
      sampleValue(after, 'tally_http_request_duration_seconds_count', labels) -
        sampleValue(before, 'tally_http_request_duration_seconds_count', labels),
    ).toBe(2);
    const unmatched = { method: 'GET', route: 'unmatched', status: '404' };
    expect(sampleValue(after, 'tally_http_requests_total', unmatched)).toBeGreaterThanOrEqual(1);
    const routes = after.get('tally_http_requests_total')!.samples.map((s) => s.labels.route);
    expect(routes.filter((r) => /thing|abc123|[0-9a-f]{8}-/.test(r))).toEqual([]);
  });

  it('counts billing rollups and the invoices they create', async () => {
    const start = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await meteredSubscription(t.baseUrl, { interval: 'day', startAt: start });
    const before = await scrape();
    const run = await t.http().post('/v1/billing/rollups').send({});
    expect(run.status).toBe(200);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('tally_rollup_runs_total', { result: 'completed' })).toBe(1);
    expect(delta('tally_rollup_duration_seconds_count')).toBe(1);
    expect(run.body.invoicesCreated).toBeGreaterThanOrEqual(3);
    expect(delta('tally_rollup_invoices_created_total')).toBe(run.body.invoicesCreated);
  });

  it('the format check refuses what Prometheus would refuse', () => {
    const good = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\n';
    expect(() => parsePrometheusText(good)).not.toThrow();
    const bad = [
      'a_total 3', // no final line feed
      'a-b 1\n', // bad metric name
      'a{x=1} 1\n', // unquoted label value
      'a{x="1"} one\n', // bad value
      'a{x="1"} 1\na{x="1"} 2\n', // repeated sample
      'a 1\nb 1\na{y="2"} 1\n', // family not together
      '# TYPE a counter\n# TYPE a counter\na 1\n', // second TYPE
      'a 1\n# TYPE a counter\n', // TYPE after samples
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // not cumulative
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n', // +Inf != count
    ];
    for (const text of bad) expect(() => parsePrometheusText(text)).toThrow();
  });
});
