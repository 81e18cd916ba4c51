import ipaddr from 'ipaddr.js';
import { parseCidr } from '@rustronaut/contracts/edge';
import { WireGuardError, WireGuardErrorCode } from './errors';

// A site's subnet is its VPN address space: the gateways take its first host, devices the others.

/** How far into an IPv6 subnet we look for a free address (a /64 is never "full"). */
const MAX_SCAN = 1n << 20n;

function toAddress(value: bigint, family: 'ipv4' | 'ipv6'): string {
  const bytes: number[] = [];
  const width = family === 'ipv4' ? 4 : 16;
  for (let i = width - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

/** The address the site's gateways take: the first host of its subnet. */
export function gatewayAddress(subnet: string): string {
  const range = parseCidr(subnet);
  if (!range) throw new WireGuardError(WireGuardErrorCode.SubnetFull, `site subnet ${subnet} is not a CIDR`);
  const first = range.last > range.first ? range.first + 1n : range.first;
  return toAddress(first, range.family);
}

/**
 * The lowest free device address of the subnet: the network address, the gateway's (the first
 * host) and, for IPv4, the broadcast address are never given; neither is a taken one.
 */
export function nextFreeAddress(subnet: string, taken: Iterable<string>): string {
  const range = parseCidr(subnet);
  if (!range) throw new WireGuardError(WireGuardErrorCode.SubnetFull, `site subnet ${subnet} is not a CIDR`);
  const used = new Set([...taken].map((a) => ipaddr.parse(a).toNormalizedString()));
  const last = range.family === 'ipv4' ? range.last - 1n : range.last;
  const end = range.first + 2n + MAX_SCAN < last ? range.first + 2n + MAX_SCAN : last;
  for (let value = range.first + 2n; value <= end; value++) {
    const address = toAddress(value, range.family);
    if (!used.has(ipaddr.parse(address).toNormalizedString())) return address;
  }
  throw new WireGuardError(
    WireGuardErrorCode.SubnetFull,
    `site subnet ${subnet} has no free address left for a device`,
    {
      details: { subnet },
    },
  );
}

/** `10.1.0.0/24` → `10.1.0.1/24`: an address of the subnet with the subnet's prefix. */
export function addressOfSubnet(address: string, subnet: string): string {
  return `${address}/${subnet.split('/')[1] ?? (address.includes(':') ? '128' : '32')}`;
}
