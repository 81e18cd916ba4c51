import ipaddr from 'ipaddr.js';
import { parseCidr } from '@rustronaut/contracts/edge';

const MAPPED_FIRST = 0xffffn << 32n; // ::ffff:0.0.0.0
const MAPPED_LAST = MAPPED_FIRST + 0xffffffffn;

/**
 * A set of CIDRs compiled once into sorted, merged ranges: IPv4 as 32-bit integers, IPv6 as
 * bigints. An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) is the IPv4 address it maps, both as a
 * client address and inside a CIDR. `has` on an IPv4 address allocates nothing.
 */
export class IpSet {
  /** [first0, last0, first1, last1, …], sorted and merged. */
  readonly #v4: Float64Array;
  readonly #v6: readonly (readonly [bigint, bigint])[];

  constructor(cidrs: readonly string[]) {
    const v4: [number, number][] = [];
    const v6: [bigint, bigint][] = [];
    for (const cidr of cidrs) {
      const range = parseCidr(cidr);
      if (!range) throw new Error(`"${cidr}" is not a CIDR`);
      if (range.family === 'ipv4') v4.push([Number(range.first), Number(range.last)]);
      else if (range.first >= MAPPED_FIRST && range.last <= MAPPED_LAST)
        v4.push([Number(range.first - MAPPED_FIRST), Number(range.last - MAPPED_FIRST)]);
      else v6.push([range.first, range.last]);
    }
    this.#v4 = Float64Array.from(merge(v4, (n) => n + 1).flat());
    this.#v6 = merge(v6, (n) => n + 1n);
  }

  get size(): number {
    return this.#v4.length / 2 + this.#v6.length;
  }

  /** Is this address (IPv4, IPv6 or IPv4-mapped IPv6) inside one of the CIDRs? A malformed one is not. */
  has(ip: string): boolean {
    const v4 = ipv4ToNumber(ip);
    if (v4 !== -1) return this.#hasV4(v4);
    if (this.#v6.length === 0 && this.#v4.length === 0) return false;
    if (!ipaddr.IPv6.isValid(ip)) return false;
    const address = ipaddr.IPv6.parse(ip);
    if (address.isIPv4MappedAddress()) return this.#hasV4(ipv4ToNumber(address.toIPv4Address().toString()));
    const value = address.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
    return this.#v6.some(([first, last]) => value >= first && value <= last);
  }

  #hasV4(value: number): boolean {
    const ranges = this.#v4;
    let lo = 0;
    let hi = ranges.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (value < ranges[mid * 2]!) hi = mid - 1;
      else if (value > ranges[mid * 2 + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

/** Sorted, with overlapping and adjacent ranges joined. */
function merge<T extends number | bigint>(ranges: [T, T][], next: (value: T) => T): [T, T][] {
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [T, T][] = [];
  for (const [first, last] of ranges) {
    const previous = out[out.length - 1];
    if (previous && first <= next(previous[1])) {
      if (last > previous[1]) previous[1] = last;
    } else out.push([first, last]);
  }
  return out;
}

/** `10.1.2.3` → its 32-bit value, or -1 when the text is not a dotted-quad IPv4 address. */
export function ipv4ToNumber(ip: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // no leading zeros (010 would be octal elsewhere)
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}
