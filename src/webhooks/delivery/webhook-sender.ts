import { LookupAddress, lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { LookupFunction, Socket, isIP } from 'node:net';
import { addressRefusal } from './address-policy';

export interface SendResult {
  ok: boolean;
  /** The HTTP status, when an answer came. */
  status: number | null;
  durationMs: number;
  /** Why it failed: the status, a timeout, a refused address, a network error. */
  error: string | null;
}

class AddressRefused extends Error {}

/**
 * Resolves the host itself and refuses the whole name when any of its addresses may not be
 * reached: the connection then goes to an address checked here, not to what a second lookup
 * (DNS rebinding) would answer. Node calls it for host names only; IP literals are checked before.
 */
function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const { address } of addresses) {
        const refusal = addressRefusal(address, allowPrivate);
        if (refusal) return callback(new AddressRefused(`refused: ${hostname} resolves to ${refusal}`), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * POSTs `body` to `url` once: no redirects followed (a 3xx is a failure like any non-2xx), a new
 * connection each time (never a pooled one to an address checked for another name), and the
 * address actually connected to is checked again on connect. The Host header and TLS SNI stay
 * the URL's host name: only the address is fixed by the lookup.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<SendResult> {
  const started = Date.now();
  const result = (status: number | null, error: string | null): SendResult => ({
    ok: error === null,
    status,
    durationMs: Date.now() - started,
    error,
  });
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const refusal = addressRefusal(host, options.allowPrivate);
    if (refusal) return Promise.resolve(result(null, `refused: ${refusal}`));
  }
  return new Promise((resolve) => {
    let settled = false;
    const settle = (status: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result(status, error));
    };
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(target, {
      method: 'POST',
      agent: false,
      lookup: checkedLookup(options.allowPrivate),
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Tally-Webhooks/1' },
    });
    const timer = setTimeout(() => {
      settle(null, `no answer within WEBHOOK_TIMEOUT_MS (${options.timeoutMs} ms)`);
      request.destroy();
    }, options.timeoutMs);
    request.on('socket', (socket: Socket) => {
      socket.once('connect', () => {
        const refusal = socket.remoteAddress ? addressRefusal(socket.remoteAddress, options.allowPrivate) : 'an unknown address';
        if (refusal) request.destroy(new AddressRefused(`refused: connected to ${refusal}`));
      });
    });
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      // The answer's body is not kept; reading it to the end frees the connection.
      response.resume();
      response.once('end', () => settle(status, status >= 200 && status < 300 ? null : `HTTP ${status}`));
      response.once('error', (error) => settle(status, error.message));
    });
    request.on('error', (error: NodeJS.ErrnoException) =>
      settle(null, error instanceof AddressRefused ? error.message : `${error.code ?? 'error'}: ${error.message}`),
    );
    request.end(body);
  });
}
