import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a webhook may reach. Link-local (where cloud metadata services answer, e.g.
 * 169.254.169.254), multicast and broadcast are never reachable; loopback, private, shared
 * (carrier-grade NAT) and "this network" ranges only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true
 * (a receiver on the same host or LAN, in development and in tests).
 */
const NEVER: [string, number, 'ipv4' | 'ipv6'][] = [
  ['169.254.0.0', 16, 'ipv4'],
  // Cloud metadata services outside link-local: Alibaba's, AWS's IPv6 IMDS; and the IETF
  // protocol-assignment block, which no receiver lives in.
  ['100.100.100.200', 32, 'ipv4'],
  ['fd00:ec2::254', 128, 'ipv6'],
  ['192.0.0.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['255.255.255.255', 32, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];
const PRIVATE: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
];

function blockList(ranges: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, type] of ranges) list.addSubnet(network, prefix, type);
  return list;
}

const never = blockList(NEVER);
const privateRanges = blockList(PRIVATE);
// IPv4-mapped, and NAT64's well-known prefix: both carry an IPv4 address in their last 32 bits.
const mapped = blockList([
  ['::ffff:0:0', 96, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
]);

/**
 * An IPv4 address written as IPv6 (::ffff:a.b.c.d, ::ffff:7f00:1, or NAT64's 64:ff9b::a.b.c.d)
 * is judged as the IPv4 address it carries.
 */
function unmapped(address: string): { address: string; type: 'ipv4' | 'ipv6' } {
  if (isIP(address) === 4) return { address, type: 'ipv4' };
  if (!mapped.check(address, 'ipv6')) return { address, type: 'ipv6' };
  const canonical = new URL(`http://[${address}]`).hostname.slice(1, -1); // e.g. ::ffff:7f00:1
  const [high, low] = canonical.split(':').slice(-2).map((group) => parseInt(group, 16));
  return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), type: 'ipv4' };
}

/** Why `address` (an IP literal) may not be reached, or undefined when it may. */
export function addressRefusal(address: string, allowPrivate: boolean): string | undefined {
  const ip = unmapped(address);
  if (never.check(ip.address, ip.type)) return `${address} is a link-local, metadata, multicast or broadcast address`;
  if (!allowPrivate && privateRanges.check(ip.address, ip.type)) {
    return `${address} is a loopback or private address (allowed only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)`;
  }
  return undefined;
}
