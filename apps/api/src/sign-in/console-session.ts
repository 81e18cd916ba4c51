import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AccessError, AccessErrorCode } from '@rustronaut/contracts';
import { CONSOLE_COOKIE, HANDOFF_PATH } from './console-cookie';

/**
 * The web console's browser session. After a sign-in on the console, the access token rides in an
 * HttpOnly cookie sent only to the API (`Path=/api`), the refresh token in one sent only to the
 * session route, both `SameSite=Strict`. Writes made with the cookie must also carry the CSRF token
 * (double submit: `X-CSRF-Token` equal to the readable `rn_csrf` cookie), so another site can
 * neither read nor forge them. A request with `Authorization: Bearer …` is not a cookie session
 * and needs no CSRF token.
 */
export const SESSION_COOKIE = 'rn_session';
export const REFRESH_COOKIE = 'rn_refresh';
export const CSRF_COOKIE = 'rn_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_PATH = '/api/v1/auth/session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
}

export interface CookieOptions {
  secure: boolean;
  refreshTtlS: number;
}

function cookie(
  name: string,
  value: string,
  path: string,
  maxAgeS: number,
  options: CookieOptions,
  httpOnly = true,
) {
  return `${name}=${value}; Path=${path}; Max-Age=${Math.max(0, Math.floor(maxAgeS))}${httpOnly ? '; HttpOnly' : ''}; SameSite=Strict${options.secure ? '; Secure' : ''}`;
}

/** A fresh CSRF token (URL-safe, 256 bits). */
export const newCsrfToken = () => randomBytes(32).toString('base64url');

/**
 * The Set-Cookie headers of a signed-in console: the session, its refresh token, the CSRF token and
 * the gateway sign-in cookie (so resources that accept console sign-in open without a password).
 */
export function sessionCookies(tokens: SessionTokens, csrf: string, options: CookieOptions): string[] {
  return [
    cookie(SESSION_COOKIE, tokens.accessToken, '/api', tokens.expiresIn, options),
    cookie(REFRESH_COOKIE, tokens.refreshToken, SESSION_PATH, options.refreshTtlS, options),
    cookie(CSRF_COOKIE, csrf, '/', options.refreshTtlS, options, false),
    cookie(CONSOLE_COOKIE, tokens.accessToken, HANDOFF_PATH, tokens.expiresIn, options),
  ];
}

/** Set-Cookie headers that end the browser session (every cookie above, expired). */
export function clearedSessionCookies(options: Pick<CookieOptions, 'secure'>): string[] {
  const o = { ...options, refreshTtlS: 0 };
  return [
    cookie(SESSION_COOKIE, '', '/api', 0, o),
    cookie(REFRESH_COOKIE, '', SESSION_PATH, 0, o),
    cookie(CSRF_COOKIE, '', '/', 0, o, false),
    cookie(CONSOLE_COOKIE, '', HANDOFF_PATH, 0, o),
  ];
}

/** The value of one cookie in a Cookie header (the first one of that name). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    if (part.slice(0, at).trim() === name) {
      const value = part.slice(at + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

export interface RequestCredentials {
  method: string;
  authorization: string | undefined;
  cookie: string | undefined;
  csrfHeader: string | string[] | undefined;
}

/**
 * The `Authorization` value a request authenticates with: its own header, or else the console's
 * session cookie — which, for anything but a read, holds only with the matching CSRF token.
 */
export function authorizationOf(request: RequestCredentials): string | undefined {
  if (request.authorization) return request.authorization;
  const session = cookieValue(request.cookie, SESSION_COOKIE);
  if (!session) return undefined;
  if (!SAFE_METHODS.has(request.method.toUpperCase())) assertCsrf(request);
  return `Bearer ${session}`;
}

/** A write with the session cookie must repeat the CSRF cookie in the X-CSRF-Token header. */
export function assertCsrf(request: Pick<RequestCredentials, 'cookie' | 'csrfHeader'>): void {
  const expected = cookieValue(request.cookie, CSRF_COOKIE);
  const sent = Array.isArray(request.csrfHeader) ? request.csrfHeader[0] : request.csrfHeader;
  const ok =
    expected !== undefined &&
    sent !== undefined &&
    Buffer.byteLength(sent) === Buffer.byteLength(expected) &&
    timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
  if (!ok)
    throw new AccessError(
      AccessErrorCode.Forbidden,
      'a change made with the console session needs the X-CSRF-Token header (the rn_csrf cookie): reload the console',
    );
}
