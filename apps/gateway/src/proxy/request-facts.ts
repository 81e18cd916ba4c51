import type { IncomingMessage } from 'node:http';
import type { TrustedProxies } from './trusted-proxies';

/**
 * What the gateway itself knows about a request, before any rule looks at it: the client address
 * (the socket's, or — behind a trusted proxy only — the right-most untrusted X-Forwarded-For hop),
 * the scheme it arrived on (or a trusted proxy's X-Forwarded-Proto), the host and the path.
 */
export interface RequestFacts {
  ip: string;
  scheme: 'http' | 'https';
  /** Lower-case host without port or trailing dot. */
  host: string;
  /** The raw path as sent (no query). */
  rawPath: string;
  /** The canonical path rules and routes are matched against. */
  path: string;
  method: string;
}

export function factsOf(
  req: IncomingMessage,
  scheme: 'http' | 'https',
  proxies?: TrustedProxies,
): RequestFacts {
  const rawPath = rawPathOf(req.url ?? '/');
  const peer = normaliseIp(req.socket.remoteAddress ?? '');
  return {
    ip: proxies ? proxies.clientIp(peer, req.headers) : peer,
    scheme: proxies ? proxies.scheme(peer, req.headers, scheme) : scheme,
    host: hostOf(req.headers.host ?? (req.headers[':authority'] as string | undefined)),
    rawPath,
    path: canonicalPath(rawPath),
    method: req.method ?? 'GET',
  };
}

export function rawPathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export function hostOf(hostHeader: string | undefined): string {
  let host = (hostHeader ?? '').toLowerCase();
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1);
  else host = host.replace(/:\d*$/, '');
  return host.replace(/\.$/, '');
}

/** `::ffff:1.2.3.4` (a v4 client on a dual-stack socket) is `1.2.3.4`. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * The path as the target will understand it: percent-decoded once (unreserved characters), `//`
 * collapsed, `.` and `..` segments resolved. Rules and routes match this form, so `/%61dmin`,
 * `//admin` and `/x/../admin` are all `/admin`.
 */
export function canonicalPath(rawPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath.replace(/%2f/gi, '%252F'));
  } catch {
    decoded = rawPath;
  }
  const out: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const trailing = decoded.length > 1 && decoded.endsWith('/') ? '/' : '';
  return `/${out.join('/')}${out.length ? trailing : ''}`;
}
