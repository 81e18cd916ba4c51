import type { IncomingMessage } from 'node:http';
import { canonicalise } from './canonical-path';
import { normaliseIp } from '../client-ip';
import type { TrustedProxies } from './trusted-proxies';
import type { RequestFacts } from '../model';

export { canonicalise, canonicalPath } from './canonical-path';

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
