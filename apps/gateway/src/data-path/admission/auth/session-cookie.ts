import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Role } from '@rustronaut/contracts';
import type { CredentialKind } from '../../model';

/** Every resource session cookie's name starts with this; the upstream never sees them. */
export const SESSION_COOKIE_PREFIX = 'rn_sess_';

/** One cookie per resource, so a session for one app is not one for another on the same host. */
export function sessionCookieName(resourceId: string): string {
  return `${SESSION_COOKIE_PREFIX}${resourceId}`;
}

/** What a resource session cookie holds (signed, not secret: no password or token is in it). */
export interface ResourceSession {
  via: Exclude<CredentialKind, 'token'>;
  resourceId: string;
  host: string;
  orgId: string;
  /** The user, for a session after console sign-in; empty after a PIN, password or share link. */
  userId: string;
  email: string;
  role: Role;
  /** The console session it came from (sign-in) or the share link's id: revoked ones are refused. */
  sessionId?: string;
  /** Epoch seconds. */
  expiresAt: number;
}

/**
 * Mints and opens resource session cookies: `<payload>.<HMAC-SHA256>` (base64url) under the site's
 * session secret from the snapshot, so every gateway of the site accepts the cookies the others set.
 * A cookie opens only on the resource and host it was made for, and only until it expires.
 */
export const SessionCookies = {
  mint(secret: Buffer, session: ResourceSession): string {
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
  },

  open(
    secret: Buffer,
    value: string,
    resourceId: string,
    host: string,
    nowMs: number,
  ): ResourceSession | undefined {
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = createHmac('sha256', secret).update(payload).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let session: ResourceSession;
    try {
      session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ResourceSession;
    } catch {
      return undefined;
    }
    if (session.resourceId !== resourceId || session.host !== host) return undefined;
    if (!(session.expiresAt * 1000 > nowMs)) return undefined;
    return session;
  },

  /** `Set-Cookie` for the resource's host only (no Domain), never readable by scripts. */
  header(name: string, value: string, options: { secure: boolean; maxAgeS: number }): string {
    return `${name}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;
  },
};

/** The value of one cookie in a `Cookie` header, without allocating for the others. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let at = header.indexOf(name);
  while (at !== -1) {
    const before = at === 0 ? ' ' : header[at - 1];
    if ((before === ' ' || before === ';') && header[at + name.length] === '=') {
      const start = at + name.length + 1;
      const end = header.indexOf(';', start);
      return header.slice(start, end === -1 ? undefined : end).trim();
    }
    at = header.indexOf(name, at + 1);
  }
  return undefined;
}

/** A `Cookie` header without the gateway's session cookies (undefined when nothing is left). */
export function withoutSessionCookies(header: string): string | undefined {
  if (!header.includes(SESSION_COOKIE_PREFIX)) return header;
  const kept = header
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c && !c.startsWith(SESSION_COOKIE_PREFIX));
  return kept.length ? kept.join('; ') : undefined;
}
