import { jwtVerify } from 'jose';
import type { Admission } from '../admission';
import type { Refusal } from '../pages';
import type { EdgeAuthenticator } from './edge-authenticator';
import type { AssertionKey } from './identity-assertion';
import { SessionCookies, sessionCookieName } from './session-cookie';
import { CONSOLE_ISSUER, jwtRefusal, type SnapshotKeys } from './token-verifier';

/** Paths under this prefix, on every resource host, are the gateway's own (never proxied). */
export const EDGE_PREFIX = '/.rustronaut/';

/** The longest a resource session cookie lives, even when the console session lives longer. */
export const MAX_SESSION_S = 12 * 3600;

/**
 * The gateway's own pages on a resource's host: `/.rustronaut/jwks.json` (the keys that verify the
 * identity assertions) and `/.rustronaut/auth/callback` (where the console sends a browser back
 * after sign-in, with a short-lived hand-off token this gateway checks against the console's keys
 * before it sets the resource's session cookie).
 */
export class EdgeEndpoints {
  /** Hand-off tokens already used (jti → expiry, epoch s): each works once. */
  readonly #used = new Map<string, number>();

  constructor(
    private readonly keys: SnapshotKeys,
    private readonly authenticator: EdgeAuthenticator,
    private readonly assertions: AssertionKey | undefined,
  ) {}

  handle(admission: Admission): Refusal | Promise<Refusal> {
    const path = admission.facts.path;
    if (path === '/.rustronaut/jwks.json') return json(200, this.assertions?.jwks() ?? { keys: [] });
    if (path === '/.rustronaut/auth/callback') return this.#callback(admission);
    return { status: 404, message: 'No such gateway page.' };
  }

  async #callback(admission: Admission): Promise<Refusal> {
    const { resource, facts, req } = admission;
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const token = query.get('token');
    const back = safeReturnPath(query.get('return'));
    if (!token) return { status: 400, message: 'The sign-in callback needs a "token".' };
    const keys = this.keys.get();
    if (!keys) return { status: 503, message: 'This gateway has no keys to check sign-ins yet.' };
    const secret = this.authenticator.secretOf(resource.siteId);
    if (!secret)
      return {
        status: 503,
        message: 'This gateway cannot keep sessions for this site yet (no session secret in its config).',
      };
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ['EdDSA'],
        issuer: CONSOLE_ISSUER,
        audience: resource.id,
        requiredClaims: ['exp', 'sub', 'jti'],
      }));
    } catch (error) {
      return { status: 401, message: `${jwtRefusal(error).refusal} (sign-in hand-off)` };
    }
    if (
      payload['typ'] !== 'resource_handoff' ||
      payload['host'] !== facts.host ||
      payload['org'] !== resource.orgId ||
      typeof payload['sid'] !== 'string'
    )
      return { status: 401, message: 'This sign-in hand-off is not for this resource.' };
    if (this.authenticator.isRevoked(payload['sid']))
      return { status: 401, message: 'This session was ended (signed out or revoked): sign in again.' };
    if (!this.#firstUse(String(payload.jti), payload.exp ?? 0))
      return { status: 401, message: 'This sign-in hand-off was already used: sign in again.' };
    const now = Math.floor(Date.now() / 1000);
    const sessionEnds =
      typeof payload['session_exp'] === 'number' ? payload['session_exp'] : now + MAX_SESSION_S;
    const expiresAt = Math.min(sessionEnds, now + MAX_SESSION_S);
    const cookie = SessionCookies.mint(secret, {
      via: 'sso',
      resourceId: resource.id,
      host: facts.host,
      orgId: resource.orgId,
      userId: String(payload.sub),
      email: typeof payload['email'] === 'string' ? payload['email'] : '',
      role: payload['role'] as 'member',
      sessionId: payload['sid'],
      expiresAt,
    });
    return {
      status: 302,
      message: 'Signed in.',
      headers: {
        location: back,
        'set-cookie': SessionCookies.header(sessionCookieName(resource.id), cookie, {
          secure: facts.scheme === 'https',
          maxAgeS: expiresAt - now,
        }),
        'referrer-policy': 'no-referrer',
      },
    };
  }

  #firstUse(jti: string, exp: number): boolean {
    const now = Date.now() / 1000;
    if (this.#used.size > 1000) for (const [id, until] of this.#used) if (until < now) this.#used.delete(id);
    if (this.#used.has(jti)) return false;
    this.#used.set(jti, exp);
    return true;
  }
}

/** Where to send the browser after sign-in: a path on this host only (never `//other` or `/\other`). */
export function safeReturnPath(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) < 0x20 || value[i] === '\\') return '/';
  return value;
}

function json(status: number, body: unknown): Refusal {
  return {
    status,
    message: '',
    html: JSON.stringify(body),
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' },
  };
}
