import ipaddr from 'ipaddr.js';

/** A parsed CIDR: its family and the first and last address as integers. */
export interface CidrRange {
  family: 'ipv4' | 'ipv6';
  first: bigint;
  last: bigint;
}

function toBigInt(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/** Parses `10.1.0.0/24` or `fd00::/64`; undefined when it is not a CIDR. */
export function parseCidr(cidr: string): CidrRange | undefined {
  if (!ipaddr.isValidCIDR(cidr)) return undefined;
  const [address, bits] = ipaddr.parseCIDR(cidr);
  const bytes = address.toByteArray();
  const width = bytes.length * 8;
  const value = toBigInt(bytes);
  const hostBits = BigInt(width - bits);
  const first = (value >> hostBits) << hostBits;
  return { family: address.kind(), first, last: first + (1n << hostBits) - 1n };
}

export const isCidr = (value: string): boolean => parseCidr(value) !== undefined;

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return !!x && !!y && x.family === y.family && x.first <= y.last && y.first <= x.last;
}

/** True when `ip` (IPv4, IPv6, or IPv4-mapped IPv6) is inside `cidr`. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const range = parseCidr(cidr);
  if (!range || !ipaddr.isValid(ip)) return false;
  let address = ipaddr.parse(ip);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  if (address.kind() !== range.family) return false;
  const value = toBigInt(address.toByteArray());
  return value >= range.first && value <= range.last;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** `app.company.com`, or `*.api.company.com` (one leading wildcard label). Lower-case. */
export function isDomainPattern(value: string): boolean {
  if (value.length > 253 || value !== value.toLowerCase()) return false;
  const labels = value.split('.');
  if (labels[0] === '*') labels.shift();
  return labels.length >= 1 && labels.every((l) => LABEL.test(l));
}

export type TargetAddress =
  | { kind: 'inet'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'tunnel'; service: string };

/**
 * `10.1.0.100:80`, `[fd00::5]:443`, `app.internal:8080`, `unix:/var/run/app.sock`, or
 * `tunnel:<service>` (served through the reverse tunnel that offers that service).
 */
export function parseTargetAddress(value: string): TargetAddress | undefined {
  if (value.startsWith('tunnel:')) {
    const service = value.slice(7);
    return /^[a-z0-9][a-z0-9-]{0,62}$/.test(service) ? { kind: 'tunnel', service } : undefined;
  }
  if (value.startsWith('unix:')) {
    const path = value.slice(5);
    return path.startsWith('/') && path.length > 1 && !path.includes('\0')
      ? { kind: 'unix', path }
      : undefined;
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  if (match[1] !== undefined && !ipaddr.IPv6.isValid(host)) return undefined;
  if (
    match[2] !== undefined &&
    !ipaddr.IPv4.isValidFourPartDecimal(host) &&
    !isDomainPattern(host.toLowerCase())
  )
    return undefined;
  if (match[2] !== undefined && /^[\d.]+$/.test(host) && !ipaddr.IPv4.isValidFourPartDecimal(host))
    return undefined;
  return { kind: 'inet', host, port };
}

/** A host name that can only mean this machine: `localhost`, 127.0.0.0/8 or `::1` (brackets allowed). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(h);
}
