import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import {
  isLoopbackHost,
  type IdentityCommand,
  type NewEvent,
  type PasskeyView,
  type PlatformEvent,
  type Principal,
  type TokenPair,
} from '@rustronaut/contracts';
import { fold } from '../domain/aggregates';
import { IdentityError, IdentityErrorCode, notFound } from '../domain/errors';
import {
  decidePasskeyOnly,
  decidePasskeyUse,
  decideRegisterPasskey,
  decideRemovePasskey,
  decideRenamePasskey,
  evolvePasskeys,
  type PasskeysState,
} from '../domain/passkeys';
import type { AuthUseCases } from './auth.use-cases';
import { actorOf, commit, retryOnConflict, type IdentityDeps } from './identity-deps';

const refused = (why: string, cause?: unknown) =>
  new IdentityError(IdentityErrorCode.PasskeyRefused, `passkey refused: ${why}`, { cause });

/**
 * Where passkeys belong: the console's public address. A browser refuses an IP address as the
 * relying party, so a console on a loopback IP (development) is `localhost`, reachable both ways.
 */
export function relyingPartyOf(publicUrl: string): { rpID: string; origins: string[] } {
  const url = new URL(publicUrl);
  if (isLoopbackHost(url.hostname))
    return {
      rpID: 'localhost',
      origins: [...new Set([url.origin, `${url.protocol}//localhost${url.port ? `:${url.port}` : ''}`])],
    };
  return { rpID: url.hostname, origins: [url.origin] };
}

/**
 * Passkeys (WebAuthn, with @simplewebauthn/server): a signed-in person registers, lists, renames
 * and removes theirs, and may make them the only way in; anyone signs in with one (discoverable
 * credentials: no email first). Challenges are single-use, in Redis, for five minutes.
 */
export class PasskeyUseCases {
  constructor(
    private readonly deps: IdentityDeps,
    private readonly auth: AuthUseCases,
  ) {}

  async registrationOptions(principal: Principal): Promise<Record<string, unknown>> {
    const user = await this.#signedInUser(principal);
    const { rpID } = relyingPartyOf(this.deps.config.api.publicUrl);
    const existing = await this.deps.signIn.passkeys(user.id);
    const options = await generateRegistrationOptions({
      rpName: 'Rustronaut',
      rpID,
      userName: user.email,
      userDisplayName: user.name,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({
        id: p.id,
        transports: p.transports as AuthenticatorTransportFuture[],
      })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.deps.attempts.holdChallenge('register', options.challenge, user.id);
    return { ...options };
  }

  async register(request: IdentityCommand<'identity.passkeys.register'>): Promise<PasskeyView> {
    const user = await this.#signedInUser(request.principal);
    const response = request.response as unknown as RegistrationResponseJSON;
    const challenge = challengeOf(response);
    if (!challenge || (await this.deps.attempts.takeChallenge('register', challenge)) !== user.id)
      throw refused('unknown, expired or already used challenge: start again');
    const { rpID, origins } = relyingPartyOf(this.deps.config.api.publicUrl);
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: origins,
        expectedRPID: rpID,
        requireUserVerification: true,
      });
    } catch (error) {
      throw refused((error as Error).message, error);
    }
    if (!verified.verified) throw refused('the authenticator did not prove the registration');
    const { credential } = verified.registrationInfo;
    await this.#change(request.principal, user.id, (state) =>
      decideRegisterPasskey(state, {
        credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: credential.transports ?? [],
        name: request.name,
      }),
    );
    return this.#view(user.id, credential.id);
  }

  async list(principal: Principal): Promise<{ items: PasskeyView[]; passkeyOnly: boolean }> {
    const user = await this.#signedInUser(principal);
    return {
      items: await this.deps.signIn.passkeys(user.id),
      passkeyOnly: await this.deps.signIn.passkeyOnly(user.id),
    };
  }

  async rename(request: IdentityCommand<'identity.passkeys.rename'>): Promise<PasskeyView> {
    const user = await this.#signedInUser(request.principal);
    await this.#change(request.principal, user.id, (s) =>
      decideRenamePasskey(s, request.credentialId, request.name),
    );
    return this.#view(user.id, request.credentialId);
  }

  async remove(request: IdentityCommand<'identity.passkeys.remove'>): Promise<{ removed: true }> {
    const user = await this.#signedInUser(request.principal);
    await this.#change(request.principal, user.id, (s) => decideRemovePasskey(s, request.credentialId));
    return { removed: true };
  }

  async setPasskeyOnly(
    request: IdentityCommand<'identity.passkeys.only'>,
  ): Promise<{ passkeyOnly: boolean }> {
    const user = await this.#signedInUser(request.principal);
    await this.#change(request.principal, user.id, (s) => decidePasskeyOnly(s, request.enabled));
    return { passkeyOnly: request.enabled };
  }

  async authenticationOptions(): Promise<Record<string, unknown>> {
    const { rpID } = relyingPartyOf(this.deps.config.api.publicUrl);
    const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
    await this.deps.attempts.holdChallenge('authenticate', options.challenge, '1');
    return { ...options };
  }

  async authenticate(request: IdentityCommand<'identity.passkeys.authenticate'>): Promise<TokenPair> {
    const response = request.response as unknown as AuthenticationResponseJSON;
    const challenge = challengeOf(response);
    if (!challenge || !(await this.deps.attempts.takeChallenge('authenticate', challenge)))
      throw refused('unknown, expired or already used challenge: start again');
    const record =
      typeof response.id === 'string' ? await this.deps.signIn.passkeyRecord(response.id) : undefined;
    if (!record) throw refused('this passkey is not registered here');
    const { rpID, origins } = relyingPartyOf(this.deps.config.api.publicUrl);
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: origins,
        expectedRPID: rpID,
        credential: {
          id: response.id,
          publicKey: Buffer.from(record.publicKey, 'base64url'),
          counter: record.counter,
          transports: record.transports as AuthenticatorTransportFuture[],
        },
        requireUserVerification: true,
      });
    } catch (error) {
      throw refused((error as Error).message, error);
    }
    if (!verified.verified) throw refused('the signature does not verify');
    const actor = { kind: 'user' as const, id: record.userId };
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load({ type: 'user', id: record.userId });
      const state = fold(loaded.events, evolvePasskeys) ?? emptyState();
      await commit(
        this.deps,
        { type: 'user', id: record.userId },
        loaded.version,
        decidePasskeyUse(state, response.id, verified.authenticationInfo.newCounter),
        { orgId: record.orgId, actor },
      );
    });
    const user = await this.deps.queries.user({ orgId: record.orgId }, record.userId);
    if (!user) throw refused('the account of this passkey no longer exists');
    return this.auth.startSession(user, { ip: request.ip, userAgent: request.userAgent });
  }

  async #signedInUser(principal: Principal) {
    if (principal.kind !== 'user')
      throw refused('passkeys belong to people: sign in as yourself, not with an API key');
    const user = await this.deps.queries.user({ orgId: principal.orgId }, principal.userId);
    if (!user) throw notFound('user', principal.userId);
    return user;
  }

  async #change(
    principal: Principal,
    userId: string,
    decide: (state: PasskeysState) => NewEvent<PlatformEvent>[],
  ) {
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load({ type: 'user', id: userId });
      const events = decide(fold(loaded.events, evolvePasskeys) ?? emptyState());
      if (events.length)
        await commit(this.deps, { type: 'user', id: userId }, loaded.version, events, {
          orgId: principal.orgId,
          actor: actorOf(principal),
        });
    });
  }

  async #view(userId: string, credentialId: string): Promise<PasskeyView> {
    const found = (await this.deps.signIn.passkeys(userId)).find((p) => p.id === credentialId);
    if (!found) throw notFound('passkey', credentialId);
    return found;
  }
}

const emptyState = (): PasskeysState => ({ passkeyOnly: false, passkeys: new Map() });

/** The challenge the browser signed (clientDataJSON), to find the one we issued. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | undefined {
  try {
    const raw = response.response?.clientDataJSON;
    if (typeof raw !== 'string' || raw.length > 4000) return undefined;
    const challenge = (JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { challenge?: unknown })
      .challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,200}$/.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}
