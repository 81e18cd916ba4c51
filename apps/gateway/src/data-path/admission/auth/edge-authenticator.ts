import { createHash } from 'node:crypto';
import { CredentialCache, type CachedCredential } from './credential-cache';
import type { AssertionKey } from './identity-assertion';
import { IssuerTokens, MAX_BEARER_LENGTH } from './issuer-tokens';
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
 * tokens, or a token of one of the resource's trusted issuers) or the resource's session cookie (set after console sign-in, a PIN, a password or a share
 * link). A credential is checked once and then cached until it expires, so a signed-in caller's
 * requests stay synchronous; the cache is emptied on every snapshot change, and a session the
 * console revoked (pushed with the snapshot) is refused even while cached.
 */
export class EdgeAuthenticator {
  readonly #cache = new CredentialCache();
  readonly #issuers = new IssuerTokens();
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
    const authorization = req.headers.authorization;
    const bearer = bearerOf(authorization);
    if (authorization !== undefined) {
      const problem = authorizationProblem(req.rawHeaders, authorization, bearer);
      if (problem !== undefined) return { status: 401, message: problem };
    }
    const credential = bearer ?? cookieValue(req.headers.cookie, sessionCookieName(resource.id));
    if (credential === undefined) return this.signInRefusal(admission, undefined);
    const cached = this.#cache.get(credential);
    // A trusted issuer's token is cached for the resource whose issuer checked it; elsewhere it is checked again.
    if (
      cached !== undefined &&
      (cached.identity.issuerId === undefined || trusts(resource, cached.identity.issuerId))
    )
      return this.#admit(admission, credential, cached);
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
    return (this.#issuers.verify(resource, bearer) ?? this.verifier.verify(bearer)).then(
      (verified: Verification) =>
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
    if (identity.issuerId !== undefined && !trusts(resource, identity.issuerId))
      return { status: 401, message: `Token refused: ${resource.name} does not trust its issuer.` };
    let view = entry.byResource.get(resource.id);
    if (view === undefined) {
      view = {
        caller: {
          id: identity.userId,
          email: identity.email,
          role: identity.role,
          // A trusted issuer's sub is not a user of ours: it is in no group.
          groups: identity.issuerId === undefined ? this.#groupsOf(resource.siteId, identity.userId) : [],
          via: entry.via,
          ...(identity.sessionId !== undefined ? { sessionId: identity.sessionId } : {}),
          ...(identity.issuerId !== undefined ? { issuerId: identity.issuerId } : {}),
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

/** The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 9110 §11.1). */
function bearerOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  return /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization)?.[1];
}

/**
 * Why an Authorization header is refused before any check: sent twice (which one counts would be
 * a guess), a bearer token too large to be one, or a Bearer scheme whose token is malformed
 * (tabs, a second word, characters no token68 has).
 */
function authorizationProblem(
  rawHeaders: readonly string[],
  authorization: string,
  bearer: string | undefined,
): string | undefined {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name?.length === 13 && name.toLowerCase() === 'authorization') seen++;
  }
  if (seen > 1) return 'Authorization was sent more than once: send one.';
  if (bearer !== undefined && bearer.length > MAX_BEARER_LENGTH)
    return `The bearer token is larger than ${MAX_BEARER_LENGTH} bytes.`;
  if (bearer === undefined && /^bearer(\s|$)/i.test(authorization))
    return 'The Authorization header is not "Bearer <token>".';
  return undefined;
}

/** Whether the resource trusts this token issuer (it is one of its own). */
function trusts(
  resource: { tokenIssuers?: readonly { id: string }[] | undefined },
  issuerId: string,
): boolean {
  return resource.tokenIssuers?.some((issuer) => issuer.id === issuerId) === true;
}
