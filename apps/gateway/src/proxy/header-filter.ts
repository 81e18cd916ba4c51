import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Headers that belong to one connection, not to the message (RFC 9110 §7.6.1), and that HTTP/2
 * forbids outright (RFC 9113 §8.2.2): never copied from one side of the gateway to the other.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'http2-settings',
  'te',
]);

/** The extra names a `Connection: close, x-foo` header declares hop-by-hop. */
function connectionTokens(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const text = Array.isArray(value) ? value.join(',') : value;
  return text
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * A message's end-to-end headers: no pseudo-headers (`:authority`, `:status`, …), no hop-by-hop
 * headers, nothing the Connection header names, and `te` only as `trailers` (the one value HTTP/2
 * allows). Safe to send to an HTTP/1.1 or an HTTP/2 peer alike. Names in `omit` are left out too
 * (left out while copying rather than deleted after: a `delete` turns the object into a slow
 * dictionary for everything Node does with it next).
 */
export function endToEndHeaders(
  headers: IncomingHttpHeaders,
  omit?: ReadonlySet<string>,
): OutgoingHttpHeaders {
  const declared = headers.connection ? connectionTokens(headers.connection) : undefined;
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(name)) continue;
    if (omit?.has(name)) continue;
    if (declared?.includes(name)) continue;
    out[name] = headers[name];
  }
  if (typeof headers.te === 'string' && /(^|,)\s*trailers\s*(;|,|$)/i.test(headers.te))
    out['te'] = 'trailers';
  return out;
}

/** The host a client asked for: `Host` over HTTP/1.1, `:authority` over HTTP/2. */
export function authorityOf(headers: IncomingHttpHeaders): string | undefined {
  return headers.host ?? (headers[':authority'] as string | undefined);
}
