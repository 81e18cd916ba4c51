import { randomBytes } from 'node:crypto';
import {
  isLoopbackHost,
  type Actor,
  type IdentityCommand,
  type NewEvent,
  type PlatformEvent,
  type SignInReturn,
  type TokenPair,
} from '@rustronaut/contracts';
import {
  accessChanges,
  decideExternalSignIn,
  identityFromClaims,
  mapAccess,
  type RefusalReason,
} from '../domain/external-sign-in';
import { evolveGroup, fold } from '../domain/aggregates';
import { IdentityError, IdentityErrorCode, notFound } from '../domain/errors';
import { newId } from '../domain/ids';
import { openSecret } from '../domain/sealed-secrets';
import { sha256 } from '../oidc/sign-in-attempts';
import type { ProviderRecord } from '../read-model/sign-in.queries';
import type { AuthUseCases } from './auth.use-cases';
import { commit, retryOnConflict, type IdentityDeps } from './identity-deps';
import { redirectUriOf } from './identity-providers.use-cases';
import type { UserUseCases } from './users.use-cases';

const refused = (message: string) =>
  new IdentityError(IdentityErrorCode.SignInRefused, `sign-in refused: ${message}`);

/**
 * Sign-in through an organisation's OIDC provider: start (authorization URL, checks kept
 * server-side), complete (the callback: checks, who the person is here, their role and groups), and
 * redeem (the one-time code for tokens). Every completion and every refusal is an event, so the
 * audit log has them all.
 */
export class ExternalSignInUseCases {
  constructor(
    private readonly deps: IdentityDeps,
    private readonly auth: AuthUseCases,
    private readonly users: UserUseCases,
  ) {}

  async start(request: IdentityCommand<'identity.oidc.start'>): Promise<{ authorizationUrl: string }> {
    const provider = await this.deps.signIn.providerRecord(request.providerId);
    if (!provider) throw notFound('identity provider', request.providerId);
    checkCliRedirect(request.returnTo);
    const { url, checks } = await this.deps.relyingParty.begin(this.#settings(provider), {
      redirectUri: redirectUriOf(this.deps, provider.id),
      scopes: provider.scopes,
    });
    await this.deps.attempts.holdPending({
      providerId: provider.id,
      orgId: provider.orgId,
      checks,
      browserBindingHash: sha256(request.browserBinding),
      returnTo: request.returnTo,
    });
    return { authorizationUrl: url };
  }

  async complete(
    request: IdentityCommand<'identity.oidc.complete'>,
  ): Promise<{ code: string; returnTo: SignInReturn }> {
    const provider = await this.deps.signIn.providerRecord(request.providerId);
    if (!provider) throw notFound('identity provider', request.providerId);
    const state = new URLSearchParams(request.query).get('state');
    // The state is taken (deleted) first: whatever happens next, this callback cannot be replayed.
    const pending = state ? await this.deps.attempts.takePending(state) : undefined;
    if (!pending || pending.providerId !== provider.id)
      return this.#refuse(provider, 'invalid_response', 'unknown, expired or already used state', null, null);
    if (!request.browserBinding || sha256(request.browserBinding) !== pending.browserBindingHash)
      return this.#refuse(
        provider,
        'invalid_response',
        'this sign-in was started in another browser',
        null,
        null,
      );
    let claims: Record<string, unknown>;
    try {
      claims = await this.deps.relyingParty.complete(
        this.#settings(provider),
        { redirectUri: redirectUriOf(this.deps, provider.id), query: request.query },
        pending.checks,
      );
    } catch (error) {
      const reason =
        (error as IdentityError).code === IdentityErrorCode.ProviderUnavailable
          ? 'provider_unavailable'
          : 'invalid_response';
      await this.#audit(provider, reason, (error as Error).message, null, null);
      throw error;
    }
    const identity = identityFromClaims(claims, provider.claimMappings);
    const linked = identity.subject
      ? await this.deps.signIn.linkedUser(provider.id, identity.subject)
      : undefined;
    const byEmail =
      linked || !identity.email ? undefined : await this.deps.signIn.userByEmail(provider.id, identity.email);
    const decision = decideExternalSignIn({
      orgId: provider.orgId,
      jitProvisioning: provider.jitProvisioning,
      identity,
      linked,
      byEmail,
    });
    if (decision.kind === 'refuse')
      return this.#refuse(
        provider,
        decision.reason,
        decision.detail,
        identity.subject || null,
        identity.email ?? null,
      );
    const actor: Actor = { kind: 'system', id: provider.id };
    const access = mapAccess(identity.groups, provider.claimMappings);
    let userId: string;
    if (decision.kind === 'provision') {
      try {
        userId = await this.users.provision(provider.orgId, actor, {
          email: decision.email,
          name: decision.name,
          role: access.role,
          providerId: provider.id,
          subject: identity.subject,
        });
      } catch (error) {
        if ((error as IdentityError).code !== IdentityErrorCode.EmailTaken) throw error;
        return this.#refuse(
          provider,
          'account_conflict',
          'an account with this email was just created',
          identity.subject,
          decision.email,
        );
      }
    } else {
      userId = decision.userId;
      if (decision.link)
        await this.#appendToUser(provider.orgId, userId, actor, [
          {
            type: 'UserExternalIdentityLinked',
            data: { providerId: provider.id, subject: identity.subject },
          },
        ]);
    }
    const email = await this.#followProvider(provider.orgId, userId, actor, access);
    await commit(
      this.deps,
      { type: 'external_sign_in', id: newId('xsi') },
      0,
      [
        {
          type: 'ExternalSignInCompleted',
          data: {
            providerId: provider.id,
            userId,
            subject: identity.subject,
            email,
            provisioned: decision.kind === 'provision',
            linked: decision.kind === 'existing' && decision.link,
          },
        },
      ],
      { orgId: provider.orgId, actor },
    );
    const code = randomBytes(32).toString('base64url');
    await this.deps.attempts.holdGrant(code, {
      orgId: provider.orgId,
      userId,
      challenge: pending.returnTo.kind === 'cli' ? pending.returnTo.challenge : null,
    });
    return { code, returnTo: pending.returnTo };
  }

  /** The one-time code of a completed sign-in for tokens; a CLI's code needs its PKCE verifier. */
  async redeem(request: IdentityCommand<'identity.signin.redeem'>): Promise<TokenPair> {
    const grant = await this.deps.attempts.takeGrant(request.code);
    if (!grant)
      throw new IdentityError(
        IdentityErrorCode.InvalidToken,
        'unknown, expired or already used sign-in code',
      );
    if (grant.challenge !== null && (!request.verifier || sha256(request.verifier) !== grant.challenge))
      throw new IdentityError(
        IdentityErrorCode.InvalidToken,
        'this sign-in code needs the verifier of the client that started it',
      );
    const user = await this.deps.queries.user({ orgId: grant.orgId }, grant.userId);
    if (!user)
      throw new IdentityError(IdentityErrorCode.InvalidToken, 'the account of this sign-in no longer exists');
    return this.auth.startSession(user, { ip: request.ip, userAgent: request.userAgent });
  }

  /** The account's role and managed groups follow the provider's groups, at every sign-in. */
  async #followProvider(
    orgId: string,
    userId: string,
    actor: Actor,
    access: ReturnType<typeof mapAccess>,
  ): Promise<string> {
    const user = await this.deps.queries.user({ orgId }, userId);
    if (!user) throw refused('the account was deleted during this sign-in');
    const changes = accessChanges(user, access);
    if (changes.role)
      await this.#appendToUser(orgId, userId, actor, [
        { type: 'UserRoleChanged', data: { role: changes.role } },
      ]);
    for (const [groupId, type] of [
      ...changes.addTo.map((g) => [g, 'GroupMemberAdded'] as const),
      ...changes.removeFrom.map((g) => [g, 'GroupMemberRemoved'] as const),
    ]) {
      await retryOnConflict(undefined, async () => {
        const loaded = await this.deps.store.load({ type: 'group', id: groupId });
        const group = fold(loaded.events, evolveGroup);
        if (!group || group.deleted || group.orgId !== orgId) return; // the mapping names a group gone since
        await commit(
          this.deps,
          { type: 'group', id: groupId },
          loaded.version,
          [{ type, data: { userId } }],
          { orgId, actor },
        );
      });
    }
    return user.email;
  }

  async #appendToUser(orgId: string, userId: string, actor: Actor, events: NewEvent<PlatformEvent>[]) {
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load({ type: 'user', id: userId });
      await commit(this.deps, { type: 'user', id: userId }, loaded.version, events, { orgId, actor });
    });
  }

  async #refuse(
    provider: ProviderRecord,
    reason: RefusalReason,
    detail: string,
    subject: string | null,
    email: string | null,
  ): Promise<never> {
    await this.#audit(provider, reason, detail, subject, email);
    throw refused(detail);
  }

  async #audit(
    provider: ProviderRecord,
    reason: RefusalReason,
    detail: string,
    subject: string | null,
    email: string | null,
  ): Promise<void> {
    await commit(
      this.deps,
      { type: 'external_sign_in', id: newId('xsi') },
      0,
      [
        {
          type: 'ExternalSignInRefused',
          data: {
            providerId: provider.id,
            reason,
            detail: detail.slice(0, 500),
            subject,
            email: email?.slice(0, 254) ?? null,
          },
        },
      ],
      { orgId: provider.orgId, actor: { kind: 'system', id: provider.id } },
    );
  }

  #settings(provider: ProviderRecord) {
    return {
      providerId: provider.id,
      version: provider.version,
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: openSecret(this.deps.config.secretsKey, provider.clientSecretSealed, provider.id),
    };
  }
}

/** The CLI's redirect is this machine's loopback over plain http (RFC 8252 §7.3), or manual copy. */
function checkCliRedirect(returnTo: SignInReturn): void {
  if (returnTo.kind !== 'cli' || returnTo.redirect === 'manual') return;
  let url: URL | undefined;
  try {
    url = new URL(returnTo.redirect);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    url.protocol !== 'http:' ||
    !isLoopbackHost(url.hostname) ||
    url.username ||
    url.password ||
    url.hash
  )
    throw refused('the CLI redirect must be http://127.0.0.1:<port>/… (or manual)');
}
