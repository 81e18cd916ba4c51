import {
  roleAtLeast,
  type IdentityCommand,
  type Principal,
  type Role,
  type TokenPair,
  issueSecret,
  parseSecret,
  secretMatches,
} from '@rustronaut/contracts';
import { evolveSession, fold } from '../domain/aggregates';
import { IdentityError, IdentityErrorCode, accountDisabled, forbidden } from '../domain/errors';
import { DEFAULT_ORG_ID, newId } from '../domain/ids';
import { dummyPasswordHash, verifyPassword } from '../domain/passwords';
import { totpCodeValid } from '../domain/totp';
import { actorOf, commit, requireRole, type IdentityDeps } from './identity-deps';

/** How long a sign-in hand-off to a resource's gateway is valid (it is used at once, by a redirect). */
const HANDOFF_TTL_S = 60;
/** The longest an access token exchanged for an API key lives (gateways drop revoked keys after an hour). */
const EXCHANGED_TTL_S = 15 * 60;

const invalidCredentials = () =>
  new IdentityError(IdentityErrorCode.InvalidCredentials, 'wrong email or password');
const invalidToken = (why: string) => new IdentityError(IdentityErrorCode.InvalidToken, why);

export class AuthUseCases {
  constructor(private readonly deps: IdentityDeps) {}

  async login(request: IdentityCommand<'identity.login'>): Promise<TokenPair> {
    const user = await this.deps.queries.credentialsByEmail(request.email);
    if (!user) {
      await verifyPassword(await dummyPasswordHash(), request.password); // same time as a real check
      throw invalidCredentials();
    }
    if (!(await verifyPassword(user.passwordHash, request.password))) throw invalidCredentials();
    if (user.totpSecret) {
      if (!request.totp) {
        throw new IdentityError(
          IdentityErrorCode.TotpRequired,
          'this account has two-factor authentication: send "totp" with the 6-digit code',
        );
      }
      if (!totpCodeValid(user.totpSecret, request.totp, this.deps.clock().getTime()))
        throw invalidCredentials();
    }
    const ssoProvider = await this.deps.signIn.ssoRequiredBy(user.id);
    if (ssoProvider)
      throw new IdentityError(
        IdentityErrorCode.PasswordLoginDisabled,
        `this account signs in through ${ssoProvider} only: use "Sign in with ${ssoProvider}"`,
      );
    if (await this.deps.signIn.passkeyOnly(user.id))
      throw new IdentityError(
        IdentityErrorCode.PasswordLoginDisabled,
        'this account signs in with a passkey only: use "Sign in with a passkey"',
      );
    return this.startSession(user, request);
  }

  /**
   * A new session for someone whose identity was just proven (password, provider, passkey): every
   * way in passes here, so a disabled account is refused here, after its proof (a wrong password
   * does not learn that the account is disabled).
   */
  async startSession(
    user: { id: string; orgId: string; role: Role; email: string; disabled: boolean },
    client: { ip: string | null; userAgent: string | null },
  ): Promise<TokenPair> {
    if (user.disabled) throw accountDisabled();
    const sessionId = newId('ses');
    const refresh = issueSecret('rnr', sessionId);
    await commit(
      this.deps,
      { type: 'session', id: sessionId },
      0,
      [
        {
          type: 'SessionStarted',
          data: {
            userId: user.id,
            refreshHash: refresh.hash,
            expiresAt: this.#refreshExpiry(),
            ip: client.ip,
            userAgent: client.userAgent,
          },
        },
      ],
      { orgId: user.orgId, actor: { kind: 'user', id: user.id } },
    );
    return this.#tokens(
      { sub: user.id, org: user.orgId, role: user.role, sid: sessionId, email: user.email },
      refresh.token,
    );
  }

  /** Exchanges a refresh token for new tokens; the old refresh token stops working (rotation). */
  async refresh(request: IdentityCommand<'identity.refresh'>): Promise<TokenPair> {
    const parsed = parseSecret('rnr', request.refreshToken);
    if (!parsed) throw invalidToken('this is not a refresh token');
    const aggregate = { type: 'session', id: parsed.id };
    const loaded = await this.deps.store.load(aggregate);
    const session = fold(loaded.events, evolveSession);
    if (!session || session.revoked) throw invalidToken('this session has ended: log in again');
    if (new Date(session.expiresAt).getTime() < this.deps.clock().getTime())
      throw invalidToken('this session expired: log in again');
    if (!secretMatches(parsed.secret, session.refreshHash)) {
      // A refresh token used twice means it leaked: end the session for whoever holds it.
      await this.deps.store.append(
        aggregate,
        loaded.version,
        [{ type: 'SessionRevoked', data: { reason: 'refresh_reuse' } }],
        {
          commandId: `${parsed.id}:reuse:${loaded.version}`,
          orgId: session.orgId,
          actor: { kind: 'user', id: session.userId },
        },
      );
      await this.deps.revocations.revokeSession(parsed.id, this.deps.config.tokens.accessTtlSeconds + 60);
      throw invalidToken('this refresh token was already used; the session is ended: log in again');
    }
    const user = await this.deps.queries.user({ orgId: session.orgId }, session.userId);
    if (!user) throw invalidToken('the account of this session no longer exists');
    if (user.disabled) throw accountDisabled();
    const next = issueSecret('rnr', parsed.id);
    await commit(
      this.deps,
      aggregate,
      loaded.version,
      [{ type: 'SessionRefreshed', data: { refreshHash: next.hash, expiresAt: this.#refreshExpiry() } }],
      { orgId: session.orgId, actor: { kind: 'user', id: session.userId } },
    );
    return this.#tokens(
      { sub: user.id, org: user.orgId, role: user.role, sid: parsed.id, email: user.email },
      next.token,
    );
  }

  async logout(principal: Principal): Promise<{ revoked: true }> {
    if (!principal.sessionId)
      throw forbidden('an API key has no session to log out of; revoke the key instead');
    const aggregate = { type: 'session', id: principal.sessionId };
    const loaded = await this.deps.store.load(aggregate);
    const session = fold(loaded.events, evolveSession);
    if (session && !session.revoked) {
      await commit(
        this.deps,
        aggregate,
        loaded.version,
        [{ type: 'SessionRevoked', data: { reason: 'logout' } }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    }
    await this.deps.revocations.revokeSession(
      principal.sessionId,
      this.deps.config.tokens.accessTtlSeconds + 60,
    );
    return { revoked: true };
  }

  /**
   * Hands the caller's console session to a resource's gateway (browser sign-in): a one-minute
   * token for that resource and host, only for a live user session (an API key has none).
   */
  async issueHandoff(
    request: IdentityCommand<'identity.handoff.issue'>,
  ): Promise<{ token: string; expiresIn: number }> {
    const { principal } = request;
    if (principal.kind !== 'user' || !principal.sessionId)
      throw forbidden('only a signed-in user (not an API key) can sign in to a resource');
    const session = fold(
      (await this.deps.store.load({ type: 'session', id: principal.sessionId })).events,
      evolveSession,
    );
    if (!session || session.revoked) throw invalidToken('this session has ended: log in again');
    const user = await this.deps.queries.user({ orgId: principal.orgId }, principal.userId);
    if (!user) throw invalidToken('the account of this session no longer exists');
    if (user.disabled) throw accountDisabled();
    const token = await this.deps.keys.signHandoffToken(
      {
        sub: user.id,
        org: user.orgId,
        role: user.role,
        sid: principal.sessionId,
        email: user.email,
        host: request.host,
        sessionExpiresAt: new Date(session.expiresAt).getTime(),
      },
      request.resourceId,
      HANDOFF_TTL_S,
    );
    return { token, expiresIn: HANDOFF_TTL_S };
  }

  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    return { keys: (await this.deps.keys.jwks()) as Record<string, unknown>[] };
  }

  /** A new signing key; tokens signed by the previous one stay valid until they expire. */
  async rotateKeys(principal: Principal): Promise<{ kid: string }> {
    if (principal.orgId !== DEFAULT_ORG_ID)
      throw forbidden(
        'signing keys belong to the platform: only owners of the default organisation rotate them',
      );
    requireRole(principal, 'owner');
    const { kid, publicJwk } = await this.deps.keys.rotate();
    await commit(
      this.deps,
      { type: 'signing_key', id: kid },
      0,
      [{ type: 'SigningKeyRotated', data: { kid, publicJwk: { ...publicJwk } } }],
      {
        orgId: principal.orgId,
        actor: actorOf(principal),
      },
    );
    return { kid };
  }

  async verifyApiKey(request: IdentityCommand<'identity.apikey.verify'>): Promise<Principal> {
    const parsed = parseSecret('rnk', request.key);
    const record = parsed && (await this.deps.queries.apiKeyRecord(parsed.id));
    if (!parsed || !record || !secretMatches(parsed.secret, record.secretHash))
      throw invalidToken('unknown API key');
    if (record.revokedAt) throw invalidToken('this API key was revoked');
    if (record.expiresAt && record.expiresAt.getTime() < this.deps.clock().getTime())
      throw invalidToken('this API key expired');
    if (!record.ownerRole) throw invalidToken("this API key's owner no longer exists");
    if (record.ownerDisabled) throw accountDisabled();
    // A key never carries more power than its owner has now.
    const role: Role = roleAtLeast(record.ownerRole, record.role) ? record.role : record.ownerRole;
    return { kind: 'api_key', id: record.id, orgId: record.orgId, role, userId: record.ownerUserId };
  }

  /**
   * An API key for an access token that gateways can check locally: at most 15 minutes and never
   * past the key's expiry; its session id is the key's id, so revoking the key ends it everywhere.
   */
  async exchangeApiKey(principal: Principal): Promise<{ accessToken: string; expiresIn: number }> {
    if (principal.kind !== 'api_key')
      throw forbidden('only an API key is exchanged for an access token; users log in');
    const record = await this.deps.queries.apiKeyRecord(principal.id);
    if (!record || record.revokedAt) throw invalidToken('this API key was revoked');
    const owner = await this.deps.queries.user({ orgId: principal.orgId }, principal.userId);
    if (!owner) throw invalidToken("this API key's owner no longer exists");
    if (owner.disabled) throw accountDisabled();
    const left = record.expiresAt
      ? Math.floor((record.expiresAt.getTime() - this.deps.clock().getTime()) / 1000)
      : Infinity;
    const expiresIn = Math.min(EXCHANGED_TTL_S, this.deps.config.tokens.accessTtlSeconds, left);
    if (expiresIn <= 0) throw invalidToken('this API key expired');
    const accessToken = await this.deps.keys.signAccessToken(
      { sub: owner.id, org: principal.orgId, role: principal.role, sid: principal.id, email: owner.email },
      expiresIn,
    );
    return { accessToken, expiresIn };
  }

  async #tokens(
    claims: { sub: string; org: string; role: string; sid: string; email: string },
    refreshToken: string,
  ): Promise<TokenPair> {
    return {
      accessToken: await this.deps.keys.signAccessToken(claims),
      refreshToken,
      expiresIn: this.deps.config.tokens.accessTtlSeconds,
    };
  }

  #refreshExpiry(): string {
    return new Date(
      this.deps.clock().getTime() + this.deps.config.tokens.refreshTtlSeconds * 1000,
    ).toISOString();
  }
}
