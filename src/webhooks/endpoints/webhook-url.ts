import { isIP } from 'node:net';
import { invalidField } from '../../common/validation';
import { addressRefusal } from '../delivery/address-policy';

/**
 * The URL of an endpoint, or 400 naming `url`. What the URL says is judged here: scheme,
 * credentials, an IP address written in it. A host name is judged where it matters, at delivery,
 * by the addresses it resolves to then (DNS may change after registration).
 */
export function checkWebhookUrl(text: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidField('url', 'url must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidField('url', 'url must use https or http');
  if (url.username || url.password) throw invalidField('url', 'url must not hold credentials (user:password@)');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // WHATWG URL parsing already turned decimal, octal and hex IPv4 forms (http://2130706433/) into a.b.c.d.
  const refusal = isIP(host) ? addressRefusal(host, allowPrivate) : undefined;
  if (refusal) throw invalidField('url', `url must not point at ${refusal}`);
  return url.href;
}
