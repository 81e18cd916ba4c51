import { createHash } from 'node:crypto';
import { CredentialCache, type CachedCredential } from './credential-cache';
import type { AssertionKey } from './identity-assertion';
import { SessionCookies, cookieValue, sessionCookieName } from './session-cookie';
import type { TokenVerifier, Verification } from './token-verifier';
import type { Admission, CredentialKind, Refusal, SnapshotSource } from '../../model';

export interface EdgeAuthenticatorOptions {
  /** Signs `X-Rustronaut-Assertion` for the upstream; none → no assertion header. */
  assertions?: AssertionKey;
  /** The console's public URL: a browser without a session is sent to its sign-in page. */
  consoleUrl?: string;
}

/**
 * Who is asking, decided from the local snapshots alone: a bearer token (the console's access
 * tokens) or the resource's session cookie (set after console sign-in, a PIN, a password or a share
 * link). A credential is checked once and then cached until it expires, so a signed-in caller's
 * requests stay synchronous; the cache is emptied on every snapshot change, and a session the
 * console revoked (pushed with the snapshot) is refused even while cached.
 */
export class EdgeAuthenticator {
  readonly #cache = new CredentialCache();
  #revoked = new Set<string>();
  /** The grants that still open a resource without an account: live share links, current PIN / password. */
  #grants = new Set<string>();
  #secrets = new Map<string, Buffer>();

  constructor(
    private readonly configs: SnapshotSource,
    private readonly verifier: TokenVerifier,
    private readonly options: EdgeAuthenticatorOptions = {},
  ) {
    configs.onChanged(() => this.#reload());
    this.#reload();
  }

  /** The site's cookie-signing secret, when its snapshot carries one. */
  secretOf(siteId: string): Buffer | undefined {
    return this.#secrets.get(siteId);
  }

  /** Whether a PIN / password / share-link session (its grant id) still opens its resource. */
  isGranted(grant: string): boolean {
    return this.#grants.has(grant);
  }

  isRevoked(sessionId: string | undefined): boolean {
    return sessionId !== undefined && this.#revoked.has(sessionId);
  }

  authenticate(admission: Admission): Refusal | undefined | Promise<Refusal | undefined> {
    const { req, resource } = admission;
    if (!resource.authRequired) return undefined;
    const bearer = bearerOf(req.headers.authorization);
    const credential = bearer ?? cookieValue(req.headers.cookie, sessionCookieName(resource.id));
    if (credential === undefined) return this.signInRefusal(admission, undefined);
    const cached = this.#cache.get(credential);
    if (cached !== undefined) return this.#admit(admission, credential, cached);
    if (bearer === undefined) {
      const secret = this.#secrets.get(resource.siteId);
      const session =
        secret && SessionCookies.open(secret, credential, resource.id, admission.facts.host, Date.now());
      if (!session)
        return this.signInRefusal(admission, 'Your session for this resource is not valid or has expired.');
      const { via, expiresAt, ...identity } = session;
      const entry = this.#cache.set(credential, { ...identity, expiresAt: expiresAt * 1000 }, via);
      return this.#admit(admission, credential, entry);
    }
    return this.verifier
      .verify(bearer)
      .then((verified: Verification) =>
        'refusal' in verified
          ? { status: 401, message: verified.refusal }
          : this.#admit(admission, bearer, this.#cache.set(bearer, verified, 'token')),
      );
  }

  /**
   * No usable credential: a browser asking for a page goes to sign in (the console, for a resource
   * with SSO); anything else gets a 401 that says what to send.
   */
  signInRefusal(admission: Admission, why: string | undefined): Refusal {
    const { req, resource, facts } = admission;
    const browser =
      (req.method === 'GET' || req.method === 'HEAD') &&
      !req.headers.authorization &&
      (req.headers.accept ?? '').includes('text/html');
    const unlockable =
      (resource.authMethods.includes('pin') && resource.access?.pinHash) ||
      (resource.authMethods.includes('password') && resource.access?.passwordHash);
    if (browser && unlockable && !(this.options.consoleUrl && resource.authMethods.includes('sso'))) {
      return {
        status: 302,
        message: 'Enter the PIN or password first.',
        headers: { location: `/.rustronaut/auth/unlock?return=${encodeURIComponent(facts.target)}` },
      };
    }
    if (browser && this.options.consoleUrl && resource.authMethods.includes('sso')) {
      const back = `${facts.scheme}://${facts.authority || facts.host}${facts.target}`;
      return {
        status: 302,
        message: 'Sign in first.',
        headers: { location: `${this.options.consoleUrl}/login?return=${encodeURIComponent(back)}` },
      };
    }
    return {
      status: 401,
      message: `${why ? `${why} ` : ''}This resource needs you to sign in: send "Authorization: Bearer <access token>", or open it in a browser.`,
    };
  }

  #admit(admission: Admission, credential: string, entry: CachedCredential): Refusal | undefined {
    const { resource } = admission;
    const { identity } = entry;
    const now = Date.now();
    if (identity.expiresAt <= now) {
      this.#cache.delete(credential);
      return this.#refuse(admission, entry.via, 'Your sign-in has expired: sign in again.');
    }
    if (entry.via === 'pin' || entry.via === 'password' || entry.via === 'share_link') {
      if (!this.#grants.has(identity.sessionId ?? ''))
        return this.signInRefusal(
          admission,
          'The PIN, password or share link that opened this session no longer does.',
        );
    } else if (identity.sessionId !== undefined && this.#revoked.has(identity.sessionId))
      return this.#refuse(
        admission,
        entry.via,
        'This session was ended (signed out or revoked): sign in again.',
      );
    if (identity.orgId !== resource.orgId)
      return { status: 401, message: 'Your token is for another organisation.' };
    let view = entry.byResource.get(resource.id);
    if (view === undefined) {
      view = {
        caller: {
          id: identity.userId,
          email: identity.email,
          role: identity.role,
          groups: this.#groupsOf(resource.siteId, identity.userId),
          via: entry.via,
          ...(identity.sessionId !== undefined ? { sessionId: identity.sessionId } : {}),
        },
        assertion: undefined,
      };
      entry.byResource.set(resource.id, view);
    }
    const assertions = this.options.assertions;
    // Someone admitted by a PIN, password or share link has no identity to assert.
    if (assertions && identity.userId && (view.assertion === undefined || view.assertion.renewAt <= now))
      view.assertion = assertions.sign(view.caller, resource.id, now);
    admission.caller = view.caller;
    admission.assertion = view.assertion?.jwt;
    return undefined;
  }

  #refuse(admission: Admission, via: CredentialKind, message: string): Refusal {
    return via === 'token' ? { status: 401, message } : this.signInRefusal(admission, message);
  }

  #groupsOf(siteId: string, userId: string): string[] {
    if (!userId) return [];
    const groups = this.configs.get(siteId)?.snapshot.groups ?? {};
    return Object.entries(groups)
      .filter(([, members]) => members.includes(userId))
      .map(([group]) => group);
  }

  #reload(): void {
    const revoked = new Set<string>();
    const grants = new Set<string>();
    const secrets = new Map<string, Buffer>();
    for (const [siteId, { snapshot }] of this.configs.all()) {
      for (const sessionId of snapshot.revokedSessions ?? []) revoked.add(sessionId);
      for (const resource of snapshot.resources) {
        const { access, authMethods } = resource;
        if (!access) continue;
        if (access.pinHash && authMethods.includes('pin'))
          grants.add(grantOf('pin', resource.id, access.pinHash));
        if (access.passwordHash && authMethods.includes('password'))
          grants.add(grantOf('password', resource.id, access.passwordHash));
        if (authMethods.includes('share_link')) for (const link of access.shareLinks) grants.add(link.id);
      }
      if (snapshot.sessionSecret) secrets.set(siteId, Buffer.from(snapshot.sessionSecret, 'base64url'));
    }
    this.#revoked = revoked;
    this.#grants = grants;
    this.#secrets = secrets;
    this.#cache.clear();
  }
}

/** The grant id a PIN / password session carries: changes when the PIN or password does. */
export function grantOf(method: 'pin' | 'password', resourceId: string, hash: string): string {
  return `${method}:${createHash('sha256').update(`${resourceId}:${hash}`).digest('base64url').slice(0, 22)}`;
}

function bearerOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
}
