import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { withoutSessionCookies } from '../admission/auth/session-cookie';
import type { Admission } from '../model';

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

/**
 * Names only the gateway may set, after folding case and `.` to `-` (a name with `_` is dropped
 * whole, see below): identity, forwarding, and the path overrides some frameworks obey
 * (`X-Original-URL`, `X-Rewrite-URL`). Whatever a client sends under any spelling of these is
 * dropped; the gateway sets its own (X-Forwarded-For/-Proto/-Host, X-Rustronaut-*).
 */
const RESERVED_NAMES = new Set([
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
  'x-remote-addr',
  'x-remote-ip',
  'x-originating-ip',
  'remote-user',
  'x-remote-user',
  'x-authenticated-user',
  'x-user',
  'x-original-url',
  'x-original-uri',
  'x-rewrite-url',
  'x-host',
]);
const RESERVED_PREFIXES = ['x-rustronaut-', 'x-forwarded-', 'x-auth-request-', 'x-authenticated-'];

/**
 * Whether a (lower-case) request header name is one only the gateway may set, in any spelling:
 * `X.Forwarded.For` is `x-forwarded-for`. Names with `_` never get here (dropped whole).
 */
export function isReservedHeader(name: string): boolean {
  const first = name.charCodeAt(0);
  // x, f, r, t, c: the first letters of every reserved name; anything else costs one compare.
  if (first !== 120 && first !== 102 && first !== 114 && first !== 116 && first !== 99) return false;
  const folded = name.includes('.') ? name.replaceAll('.', '-') : name;
  if (RESERVED_NAMES.has(folded)) return true;
  for (const prefix of RESERVED_PREFIXES) if (folded.startsWith(prefix)) return true;
  return false;
}

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
 *
 * With `request` set (a client's request on its way to a target): every name with `_` is dropped,
 * as nginx does by default (CGI, WSGI and PHP turn `X_Rustronaut_User` into the same variable as
 * `X-Rustronaut-User`), and so is every spelling of a reserved name (isReservedHeader).
 */
export function endToEndHeaders(
  headers: IncomingHttpHeaders,
  omit?: ReadonlySet<string>,
  request = false,
): OutgoingHttpHeaders {
  const declared = headers.connection ? connectionTokens(headers.connection) : undefined;
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(name)) continue;
    if (omit?.has(name)) continue;
    if (request && (name.includes('_') || isReservedHeader(name))) continue;
    if (declared?.includes(name)) continue;
    out[name] = headers[name];
  }
  if (typeof headers.te === 'string' && /(^|,)\s*trailers\s*(;|,|$)/i.test(headers.te))
    out['te'] = 'trailers';
  return out;
}

/**
 * What the gateway sets itself (or filters) rather than copying from the client; identity and
 * forwarding headers in every spelling are dropped by endToEndHeaders (isReservedHeader).
 */
const NOT_PASSED = new Set(['host', 'cookie']);
const NOT_PASSED_WITH_TOKEN = new Set([...NOT_PASSED, 'authorization']);

/**
 * The request headers the target gets: the client's end-to-end ones (no hop-by-hop or HTTP/2
 * pseudo-headers; `host` from `:authority` for a request that came over HTTP/2), minus forged
 * identity, the gateway's own session cookies and the console token it checked, plus what the
 * gateway saw and who the caller is (with a signed assertion).
 */
export function upstreamHeaders(admission: Admission): OutgoingHttpHeaders {
  const { req, facts, caller } = admission;
  // The console token that admitted the caller is not the app's to hold (it could replay it at the
  // console); the app gets the gateway's assertion instead.
  const headers = endToEndHeaders(
    req.headers,
    caller?.via === 'token' ? NOT_PASSED_WITH_TOKEN : NOT_PASSED,
    true,
  );
  // The absolute-form target's authority when the client sent one (RFC 9112 §3.2.2), else its Host.
  const authority = facts.authority;
  headers['host'] = authority;
  if (req.headers.cookie !== undefined) {
    const cookie = withoutSessionCookies(req.headers.cookie);
    if (cookie !== undefined) headers.cookie = cookie;
  }
  headers['x-forwarded-for'] = facts.ip;
  headers['x-forwarded-proto'] = facts.scheme;
  headers['x-forwarded-host'] = authority;
  if (caller && caller.id && caller.issuerId !== undefined) {
    // A machine of a trusted token issuer is not a console user, and its `sub` is the issuer's to
    // choose (it could be spelled like a user id): it is named apart, never as X-Rustronaut-User.
    headers['x-rustronaut-service'] = caller.id;
    headers['x-rustronaut-issuer'] = caller.issuerId;
    if (admission.assertion !== undefined) headers['x-rustronaut-assertion'] = admission.assertion;
  } else if (caller && caller.id) {
    headers['x-rustronaut-user'] = caller.id;
    headers['x-rustronaut-email'] = caller.email;
    headers['x-rustronaut-groups'] = caller.groups.join(',');
    if (admission.assertion !== undefined) headers['x-rustronaut-assertion'] = admission.assertion;
  }
  return headers;
}
