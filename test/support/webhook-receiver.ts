import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** One POST the receiver got, as sent: the raw body is what signatures are made over. */
export interface Received {
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  event: { id: string; type: string; createdAt: string; data: any };
  /** What the receiver answered: a status, or 'held' for a request never answered. */
  answer: number | 'held';
}

/** How the receiver answers the n-th delivery (0-based) of an event id: a status, or 'hold' to never answer. */
export type Behaviour = (event: Received['event'], n: number) => number | 'hold';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Deliveries of one event id, in arrival order. */
  of(eventId: string): Received[];
  behave(behaviour: Behaviour): void;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 (on `port`, or a free one), recording every POST. */
export async function startReceiver(behaviour: Behaviour = () => 200, port = 0): Promise<Receiver> {
  const received: Received[] = [];
  let behave = behaviour;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const event = JSON.parse(rawBody);
      const n = received.filter((r) => r.event.id === event.id).length;
      const answer = behave(event, n);
      received.push({ headers: request.headers, rawBody, event, answer: answer === 'hold' ? 'held' : answer });
      if (answer !== 'hold') response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hooks`,
    port: bound,
    received,
    of: (eventId) => received.filter((r) => r.event.id === eventId),
    behave: (next) => (behave = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The verification recipe of the README, word for word: a receiver checks the timestamp is recent
 * (against replays) and compares, in constant time, the HMAC of "<t>.<raw body>" with each v1.
 */
export function verifyTallySignature(rawBody: string, header: string, secret: string, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((part) => part.split('='));
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return parts
    .filter(([key]) => key === 'v1')
    .some(([, hex]) => {
      const given = Buffer.from(hex, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}
