import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { normaliseIp } from '../client-ip';

/** One CIDR of RN_GATEWAY_TRUSTED_PROXIES. */
export interface ProxyRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * The proxies in front of the gateway (a load balancer, a CDN) whose X-Forwarded-For and
 * X-Forwarded-Proto are believed. From anyone else those headers are ignored (and the target gets
 * the gateway's own view instead).
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(ranges: readonly ProxyRange[]) {
    for (const range of ranges) this.#list.addSubnet(range.address, range.prefix, range.family);
    this.#empty = ranges.length === 0;
  }

  trusts(ip: string): boolean {
    if (this.#empty) return false;
    const family = isIP(ip);
    return family !== 0 && this.#list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client address: the socket peer's, unless the peer is a trusted proxy; then the right-most
   * address of X-Forwarded-For that is not a trusted proxy (the first hop nobody we trust vouches
   * for), stopping at anything that is not an address.
   */
  clientIp(peer: string, headers: IncomingHttpHeaders): string {
    if (!this.trusts(peer)) return peer;
    const forwarded = headers['x-forwarded-for'];
    if (!forwarded) return peer;
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normaliseIp(stripPort((hops[i] ?? '').trim()));
      if (isIP(hop) === 0) break;
      client = hop;
      if (!this.trusts(hop)) break;
    }
    return client;
  }

  /** The scheme the client used: the listener's, or a trusted proxy's last X-Forwarded-Proto. */
  scheme(peer: string, headers: IncomingHttpHeaders, listener: 'http' | 'https'): 'http' | 'https' {
    if (this.#empty || !headers['x-forwarded-proto'] || !this.trusts(peer)) return listener;
    const value = String(headers['x-forwarded-proto']);
    const last = value
      .slice(value.lastIndexOf(',') + 1)
      .trim()
      .toLowerCase();
    return last === 'https' || last === 'http' ? last : listener;
  }
}

/** `1.2.3.4:5678` and `[::1]:5678` (some proxies add the port) are their address. */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) return hop.slice(1, hop.indexOf(']'));
  const colon = hop.indexOf(':');
  return colon !== -1 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}

export const NO_TRUSTED_PROXIES = new TrustedProxies([]);
