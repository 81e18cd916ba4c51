import type { IncomingMessage } from 'node:http';
import { canonicalise } from './canonical-path';
import type { TrustedProxies } from './trusted-proxies';

export { canonicalise, canonicalPath } from './canonical-path';

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
  /** The canonical path rules and routes are matched against (decoded; see canonical-path.ts). */
  path: string;
  method: string;
  /**
   * The origin-form request-target the target receives: the canonical path, escaped, and the
   * query as sent. Decoding its path once gives `path`.
   */
  target: string;
  /** The Host the target receives: the absolute-form target's authority, else Host / :authority. */
  authority: string;
  /** Why the request is malformed (answered 400 before routing), or null. */
  malformed: string | null;
}

/**
 * The facts of a request. A request-target in absolute form (`GET http://host/path`) is routed by
 * its authority and the Host header ignored (RFC 9112 §3.2.2); the target always gets origin-form.
 */
export function factsOf(
  req: IncomingMessage,
  scheme: 'http' | 'https',
  proxies?: TrustedProxies,
): RequestFacts {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  let rawPath = query === -1 ? url : url.slice(0, query);
  const hostHeader = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '';
  let authority = hostHeader;
  let malformed: string | null = null;
  let absolute: RegExpExecArray | null = null;
  if (rawPath.charCodeAt(0) !== 47 /* '/' */) {
    absolute = /^https?:\/\/([^/?#]*)/i.exec(rawPath);
    if (absolute) {
      authority = absolute[1] ?? '';
      rawPath = rawPath.slice(absolute[0].length) || '/';
    } else malformed = 'The request-target is neither a path nor an absolute http(s) URL.';
  }
  const verdict = canonicalise(rawPath);
  if (verdict.refused !== undefined && malformed === null)
    malformed = `The request path holds ${verdict.refused}, which targets could read differently.`;
  // An absolute-form target's authority decides, and the Host must still be valid (RFC 9112 §3.2).
  if (malformed === null)
    malformed = authorityProblem(authority) ?? (absolute ? authorityProblem(hostHeader) : null);
  if (malformed === null && query !== -1 && url.includes('#', query))
    malformed = 'The request-target holds a fragment ("#").';
  const path = verdict.refused === undefined ? verdict.path : rawPath;
  const peer = normaliseIp(req.socket.remoteAddress ?? '');
  return {
    ip: proxies ? proxies.clientIp(peer, req.headers) : peer,
    scheme: proxies ? proxies.scheme(peer, req.headers, scheme) : scheme,
    host: hostOf(authority),
    rawPath,
    path,
    method: req.method ?? 'GET',
    // Unchanged (the common case): the very string the client sent, nothing allocated.
    target:
      verdict.refused !== undefined || (!absolute && verdict.target === rawPath)
        ? url
        : verdict.target + (query === -1 ? '' : url.slice(query)),
    authority,
    malformed,
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

/** A host name or an IP literal, and an optional port (RFC 9110 §7.2): no userinfo, no list, nothing else. */
const AUTHORITY = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{0,5}))?$/;

/** Why a Host (or absolute-form authority) is refused, or null; '' is left to routing (404). */
export function authorityProblem(authority: string): string | null {
  if (authority === '') return null;
  const match = AUTHORITY.exec(authority);
  if (!match) {
    return authority.includes('@')
      ? 'The Host holds userinfo ("user@"), which is not allowed.'
      : 'The Host is not a host name with an optional port.';
  }
  const port = match[1];
  if (port !== undefined && port !== '' && Number(port) > 65535) return 'The Host names a port above 65535.';
  return null;
}

/** `::ffff:1.2.3.4` (a v4 client on a dual-stack socket) is `1.2.3.4`. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
