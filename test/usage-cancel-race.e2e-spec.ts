import { postJson, send, statusCounts } from './support/http';
import { meteredSubscription } from './support/fixtures';
import { TestApp, createTestApp } from './support/test-app';
import { sql, totals } from './support/test-database';

/**
 * A cancellation racing the counts (issue 9): the subscription's end lives on the counter rows,
 * written by the cancellation under their row locks, and copied onto a row created meanwhile.
 * The events race the cancel on a counter that does not exist yet (its first events create it
 * while the cancel commits), all dated two minutes ahead, so that once the cancel has answered,
 * every one of them is past the end and must be refused, whoever created the row and however.
 */
describe.each(['atomic', 'pessimistic', 'optimistic', 'buffered'])('a cancellation racing the first counts (%s)', (strategy) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is seen by every count that starts after it answered, and the ledger agrees with the answers', async () => {
    const m = await meteredSubscription(t.baseUrl, { strategy, limit: 1000 });
    const ahead = new Date(Date.now() + 2 * 60_000).toISOString();
    const body = { subscriptionId: m.subscriptionId, feature: m.feature, occurredAt: ahead };

    const racing = Array.from({ length: 40 }, () => postJson(t.baseUrl, '/v1/usage', body));
    const cancel = await send(t.baseUrl, 'POST', `/v1/subscriptions/${m.subscriptionId}/cancel`, { at: 'now' });
    expect(cancel.status).toBe(200);
    const during = await Promise.all(racing);
    expect(during.filter((a) => ![201, 409].includes(a.status)).slice(0, 1)).toEqual([]);

    const after = await Promise.all(Array.from({ length: 20 }, () => postJson(t.baseUrl, '/v1/usage', body)));
    expect(statusCounts(after)).toEqual({ 409: 20 });
    for (const a of after) expect(a.body).toMatchObject({ code: 'period_closed' });

    // Whatever was accepted during the race is in the ledger, once; nothing else is.
    const accepted = during.filter((a) => a.status === 201).length;
    const state = await totals(t.databaseUrl, m.subscriptionId);
    expect(state).toMatchObject({ events: accepted, quantity: accepted });
    if (strategy !== 'buffered') expect(state.used).toBe(accepted);
    // Every open counter of the subscription carries its end.
    const rows = await sql(t.databaseUrl, `SELECT ends_at FROM usage_counters WHERE subscription_id = $1`, [m.subscriptionId]);
    for (const row of rows) expect(row.ends_at?.toISOString()).toBe(cancel.body.endsAt);
  });
});
