import { Agent, IncomingHttpHeaders, request } from 'node:http';
import { sql } from './test-database';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/**
 * A keep-alive agent with a socket per request in flight: with supertest's default (a new
 * connection per request, opened one after the other by the event loop) a "burst" is really a
 * trickle; here every request of a burst is on the wire before the first answer comes back.
 */
export function burstAgent(concurrency: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
}

/** One JSON request over `agent`; resolves with whatever the server answered, errors included. */
export function send(
  agent: Agent,
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // Not JSON: keep the text, the assertion on it will say what came back.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Fires every request at once (Promise.all over one socket each) and returns the answers in the
 * order of `requests`. `baseUrls` are used in turn, so with two instances requests alternate.
 */
export async function burst(
  baseUrls: string | string[],
  path: string,
  bodies: unknown[],
): Promise<Answer[]> {
  const urls = Array.isArray(baseUrls) ? baseUrls : [baseUrls];
  const agent = burstAgent(bodies.length);
  try {
    return await Promise.all(bodies.map((body, i) => send(agent, urls[i % urls.length], 'POST', path, body)));
  } finally {
    agent.destroy();
  }
}

export const countBy = (answers: Answer[]) =>
  answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});

export interface UsageState {
  /** Counter rows of the subscription (one per feature and period). */
  counters: { feature_id: string; period_start: Date; used: number; limit: number | null }[];
  /** Sum of the counters' `used`. */
  used: number;
  /** Rows in the ledger and the sum of their quantities. */
  events: number;
  quantity: number;
}

/** What the database holds for a subscription, read behind the API's back. */
export async function usageState(databaseUrl: string, subscriptionId: string): Promise<UsageState> {
  const counters = await sql(
    databaseUrl,
    `SELECT feature_id, period_start, used::float8 AS used, "limit"::float8 AS "limit"
       FROM usage_counters WHERE subscription_id = $1 ORDER BY period_start, feature_id`,
    [subscriptionId],
  );
  const [ledger] = await sql(
    databaseUrl,
    `SELECT count(*)::int AS events, coalesce(sum(quantity), 0)::float8 AS quantity
       FROM usage_events WHERE subscription_id = $1`,
    [subscriptionId],
  );
  return {
    counters,
    used: counters.reduce((sum, c) => sum + c.used, 0),
    events: ledger.events,
    quantity: ledger.quantity,
  };
}

/** Ledger and counters of the whole database, for "nothing was counted" checks. */
export async function databaseTotals(databaseUrl: string): Promise<{ counters: number; used: number; events: number }> {
  const [row] = await sql(
    databaseUrl,
    `SELECT (SELECT count(*)::int FROM usage_counters) AS counters,
            (SELECT coalesce(sum(used), 0)::float8 FROM usage_counters) AS used,
            (SELECT count(*)::int FROM usage_events) AS events`,
  );
  return row;
}
