import type { IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';
import { accessSecretMatches, shareTokenSha256 } from '@rustronaut/contracts/edge';
import { AttemptLimiter } from './attempt-limiter';
import { grantOf, type EdgeAuthenticator } from './edge-authenticator';
import type { AssertionKey } from './identity-assertion';
import { SessionCookies, sessionCookieName, type ResourceSession } from './session-cookie';
import { unlockPage } from './unlock-page';
import { CONSOLE_ISSUER, jwtRefusal, type SnapshotKeys } from './token-verifier';
import type { Admission, Refusal } from '../../model';

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
  /** Wrong PIN / password guesses, per client address and resource. */
  readonly #guesses = new AttemptLimiter();

  constructor(
    private readonly keys: SnapshotKeys,
    private readonly authenticator: EdgeAuthenticator,
    private readonly assertions: AssertionKey | undefined,
  ) {}

  handle(admission: Admission): Refusal | Promise<Refusal> {
    const path = admission.facts.path;
    if (path === '/.rustronaut/jwks.json') return json(200, this.assertions?.jwks() ?? { keys: [] });
    if (path === '/.rustronaut/auth/callback') return this.#callback(admission);
    if (path === '/.rustronaut/auth/unlock')
      return admission.req.method === 'POST'
        ? this.#unlock(admission)
        : this.#unlockForm(
            admission,
            new URLSearchParams((admission.req.url ?? '').split('?')[1] ?? '').get('return'),
          );
    if (path === '/.rustronaut/auth/logout') return this.#logout(admission);
    if (path.startsWith('/.rustronaut/share/'))
      return this.#share(admission, path.slice('/.rustronaut/share/'.length));
    return { status: 404, message: 'No such gateway page.' };
  }

  /** Forgets this resource's session in this browser (the console session, if any, stays). */
  #logout(admission: Admission): Refusal {
    return {
      status: 303,
      message: 'Signed out of this resource.',
      headers: {
        location: '/',
        'set-cookie': SessionCookies.header(sessionCookieName(admission.resource.id), '', {
          secure: admission.facts.scheme === 'https',
          maxAgeS: 0,
        }),
      },
    };
  }

  /** The resource's PIN / password methods that are on and set. */
  #unlockMethods(admission: Admission): ('pin' | 'password')[] {
    const { authMethods, access } = admission.resource;
    const methods: ('pin' | 'password')[] = [];
    if (authMethods.includes('pin') && access?.pinHash) methods.push('pin');
    if (authMethods.includes('password') && access?.passwordHash) methods.push('password');
    return methods;
  }

  #unlockForm(admission: Admission, returnPath: string | null, error?: string, status = 200): Refusal {
    const methods = this.#unlockMethods(admission);
    if (methods.length === 0) return { status: 404, message: 'This resource has no PIN or password.' };
    return {
      status,
      message: error ?? '',
      html: unlockPage({
        resourceName: admission.resource.name,
        methods,
        returnPath: safeReturnPath(returnPath),
        ...(error ? { error } : {}),
      }),
    };
  }

  /** A PIN or password typed into the form: checked against the hashes in the snapshot, rate-limited per address. */
  async #unlock(admission: Admission): Promise<Refusal> {
    const { resource, facts } = admission;
    const methods = this.#unlockMethods(admission);
    if (methods.length === 0) return { status: 404, message: 'This resource has no PIN or password.' };
    const key = `${facts.ip} ${resource.id}`;
    const wait = this.#guesses.retryAfter(key, Date.now());
    if (wait > 0)
      return {
        status: 429,
        message: `Too many wrong attempts from your address: try again in ${wait} s.`,
        headers: { 'retry-after': String(wait) },
      };
    const form = await readForm(admission.req, 4096);
    if (!form) return { status: 413, message: 'The form is too large.' };
    const secret = form.get('secret') ?? '';
    const back = safeReturnPath(form.get('return'));
    let matched: 'pin' | 'password' | undefined;
    for (const method of methods) {
      const hash = method === 'pin' ? resource.access?.pinHash : resource.access?.passwordHash;
      if (hash && secret && (await accessSecretMatches(secret, hash))) matched = method;
    }
    if (!matched) {
      this.#guesses.failed(key, Date.now());
      return this.#unlockForm(admission, back, 'That is not right. Try again.', 401);
    }
    this.#guesses.succeeded(key);
    const hash = (matched === 'pin' ? resource.access?.pinHash : resource.access?.passwordHash) ?? '';
    const now = Math.floor(Date.now() / 1000);
    return this.#withSession(admission, back, 303, {
      via: matched,
      sessionId: grantOf(matched, resource.id, hash),
      expiresAt: now + MAX_SESSION_S,
    });
  }

  /** `/.rustronaut/share/<token>`: a live share link opens the resource and goes to `/`. */
  #share(admission: Admission, token: string): Refusal {
    const { resource } = admission;
    const sha = shareTokenSha256(token);
    const link = resource.authMethods.includes('share_link')
      ? resource.access?.shareLinks.find((l) => l.tokenSha256 === sha)
      : undefined;
    const expiresAt = link ? Math.floor(Date.parse(link.expiresAt) / 1000) : 0;
    const now = Math.floor(Date.now() / 1000);
    if (!link || expiresAt <= now || !this.authenticator.isGranted(link.id))
      return {
        status: 403,
        message: 'This share link is not valid: it expired, was revoked, or never existed.',
      };
    return this.#withSession(admission, '/', 302, {
      via: 'share_link',
      sessionId: link.id,
      expiresAt: Math.min(expiresAt, now + MAX_SESSION_S),
    });
  }

  /** Sets the resource's session cookie for someone without an account, and sends them on. */
  #withSession(
    admission: Admission,
    location: string,
    status: number,
    grant: Pick<ResourceSession, 'via' | 'sessionId' | 'expiresAt'>,
  ): Refusal {
    const { resource, facts } = admission;
    const secret = this.authenticator.secretOf(resource.siteId);
    if (!secret)
      return {
        status: 503,
        message: 'This gateway cannot keep sessions for this site yet (no session secret in its config).',
      };
    const cookie = SessionCookies.mint(secret, {
      ...grant,
      resourceId: resource.id,
      host: facts.host,
      orgId: resource.orgId,
      userId: '',
      email: '',
      role: 'member',
    });
    return {
      status,
      message: 'Welcome.',
      headers: {
        location,
        'set-cookie': SessionCookies.header(sessionCookieName(resource.id), cookie, {
          secure: facts.scheme === 'https',
          maxAgeS: grant.expiresAt - Math.floor(Date.now() / 1000),
        }),
        'referrer-policy': 'no-referrer',
      },
    };
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

/** A small urlencoded form body, or undefined when it is larger than `limit` bytes. */
function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > limit) {
        resolve(undefined);
        req.destroy();
      }
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function json(status: number, body: unknown): Refusal {
  return {
    status,
    message: '',
    html: JSON.stringify(body),
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' },
  };
}
