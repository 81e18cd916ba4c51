import {
  type Actor,
  type IdentityCommand,
  type NewEvent,
  type PlatformEvent,
  type Principal,
  type Role,
  type UserView,
} from '@rustronaut/contracts';
import { evolveUser } from '../domain/aggregates';
import { IdentityError, IdentityErrorCode, notFound } from '../domain/errors';
import { newId } from '../domain/ids';
import { hashPassword } from '../domain/passwords';
import { decideDisableUser, decideEnableUser } from '../domain/user-access';
import { EmailKeys } from './email-keys';
import { actorOf, commit, retryOnConflict, requireRole, type IdentityDeps } from './identity-deps';

type Body<
  P extends
    | 'identity.users.create'
    | 'identity.users.update'
    | 'identity.users.delete'
    | 'identity.users.disable'
    | 'identity.users.enable',
> = Omit<IdentityCommand<P>, 'principal'>;

export class UserUseCases {
  readonly #emails: EmailKeys;

  constructor(private readonly deps: IdentityDeps) {
    this.#emails = new EmailKeys(deps);
  }

  async create(principal: Principal, request: Body<'identity.users.create'>): Promise<UserView> {
    requireRole(principal, 'admin');
    if (request.role === 'owner') requireRole(principal, 'owner');
    return this.register(principal.orgId, actorOf(principal), request);
  }

  /** Registers a user in an organisation (also used for an organisation's first owner). */
  async register(
    orgId: string,
    actor: Actor,
    request: { email: string; name: string; password: string; role: Role },
    ids: { userId?: string; commandId?: string } = {},
  ): Promise<UserView> {
    const userId = ids.userId ?? newId('usr');
    const passwordHash = await hashPassword(request.password);
    await commit(
      this.deps,
      { type: 'user', id: userId },
      0,
      [
        {
          type: 'UserRegistered',
          data: {
            email: request.email,
            name: request.name,
            role: request.role,
            passwordHash,
          },
        },
      ],
      { orgId, actor, commandId: ids.commandId, keys: this.#claim(request.email) },
    );
    return this.#view(orgId, userId);
  }

  /** An account made by a provider's sign-in (just-in-time provisioning): no password. */
  async provision(
    orgId: string,
    actor: Actor,
    request: { email: string; name: string; role: 'admin' | 'member'; providerId: string; subject: string },
  ): Promise<string> {
    const userId = newId('usr');
    await commit(this.deps, { type: 'user', id: userId }, 0, [{ type: 'UserProvisioned', data: request }], {
      orgId,
      actor,
      keys: this.#claim(request.email),
    });
    return userId;
  }

  async get(principal: Principal, id: string): Promise<UserView> {
    return this.#view(principal.orgId, id);
  }

  async list(principal: Principal, cursor: string | undefined, limit: number) {
    return this.deps.queries.users({ orgId: principal.orgId }, cursor, limit);
  }

  async update(principal: Principal, request: Body<'identity.users.update'>): Promise<UserView> {
    return retryOnConflict(request.expectedVersion, async () => {
      const { store } = this.deps;
      const loaded = await store.loadState({ type: 'user', id: request.id }, evolveUser);
      const user = loaded.state;
      if (!user || user.deleted || user.orgId !== principal.orgId) throw notFound('user', request.id);
      const self = principal.userId === request.id;
      if (!self) {
        requireRole(principal, 'admin');
        if (user.role === 'owner') requireRole(principal, 'owner');
      }
      const events: NewEvent<PlatformEvent>[] = [];
      const profile: { name?: string; email?: string } = {};
      if (request.name !== undefined && request.name !== user.name) profile.name = request.name;
      if (request.email !== undefined && request.email.toLowerCase() !== user.email.toLowerCase())
        profile.email = request.email;
      if (Object.keys(profile).length) events.push({ type: 'UserProfileUpdated', data: profile });
      if (request.role !== undefined && request.role !== user.role) {
        requireRole(principal, request.role === 'owner' || user.role === 'owner' ? 'owner' : 'admin');
        if (user.role === 'owner') await this.#keepAnOwner(principal.orgId);
        events.push({ type: 'UserRoleChanged', data: { role: request.role } });
      }
      if (request.password !== undefined) {
        events.push({
          type: 'UserPasswordChanged',
          data: { passwordHash: await hashPassword(request.password) },
        });
      }
      // Nothing to change writes nothing, but a stale If-Match is still refused (commitAndWait).
      const actor = actorOf(principal);
      await commit(
        this.deps,
        { type: 'user', id: request.id },
        request.expectedVersion ?? loaded.version,
        events,
        {
          orgId: principal.orgId,
          actor,
          keys: profile.email
            ? { ...this.#claim(profile.email), release: [this.#emails.of(user.email)] }
            : undefined,
        },
      );
      if (events.some((e) => e.type === 'UserPasswordChanged' || e.type === 'UserRoleChanged')) {
        await this.#revokeSessions(principal, request.id, 'password_changed', principal.sessionId);
      }
      return this.#view(principal.orgId, request.id);
    });
  }

  async delete(principal: Principal, request: Body<'identity.users.delete'>): Promise<{ deleted: true }> {
    return retryOnConflict(request.expectedVersion, async () => {
      requireRole(principal, 'admin');
      const loaded = await this.deps.store.loadState({ type: 'user', id: request.id }, evolveUser);
      const user = loaded.state;
      if (!user || user.deleted || user.orgId !== principal.orgId) throw notFound('user', request.id);
      if (user.role === 'owner') {
        requireRole(principal, 'owner');
        await this.#keepAnOwner(principal.orgId);
      }
      const actor = actorOf(principal);
      await commit(
        this.deps,
        { type: 'user', id: request.id },
        request.expectedVersion ?? loaded.version,
        [{ type: 'UserDeleted', data: {} }],
        {
          orgId: principal.orgId,
          actor,
          keys: { reservations: this.#emails.reservations, release: [this.#emails.of(user.email)] },
        },
      );
      await this.#revokeSessions(principal, request.id, 'user_deleted');
      return { deleted: true };
    });
  }

  /**
   * Turns an account off: it cannot sign in any way, its sessions end at once (and the gateways
   * drop them with the next snapshot), its API keys stop working, and its devices reach nothing.
   */
  async disable(principal: Principal, request: Body<'identity.users.disable'>): Promise<UserView> {
    return this.#decideAccess(principal, request, decideDisableUser, async () => {
      // Also when it was disabled already: a session started in a race with the first disable ends too.
      await this.#revokeSessions(principal, request.id, 'user_disabled');
      for (const keyId of await this.deps.queries.liveApiKeyIds({ orgId: principal.orgId }, request.id))
        await this.deps.revocations.revokeSession(keyId, this.deps.config.tokens.accessTtlSeconds + 60);
    });
  }

  /** Turns a disabled account back on; its API keys work again, sessions need a new sign-in. */
  async enable(principal: Principal, request: Body<'identity.users.enable'>): Promise<UserView> {
    return this.#decideAccess(principal, request, decideEnableUser, async (recorded) => {
      if (!recorded) return;
      for (const keyId of await this.deps.queries.liveApiKeyIds({ orgId: principal.orgId }, request.id))
        await this.deps.revocations.restoreSession(keyId);
    });
  }

  /** Admins turn accounts off and on; an owner's only by an owner, and never the last owner's off. */
  async #decideAccess(
    principal: Principal,
    request: Body<'identity.users.disable'>,
    decide: typeof decideDisableUser,
    then: (recorded: boolean) => Promise<void>,
  ): Promise<UserView> {
    return retryOnConflict(request.expectedVersion, async () => {
      requireRole(principal, 'admin');
      const loaded = await this.deps.store.loadState({ type: 'user', id: request.id }, evolveUser);
      const user = loaded.state;
      const events = decide(user, {
        userId: request.id,
        orgId: principal.orgId,
        callerUserId: principal.userId,
      });
      if (user?.role === 'owner' && events.length) {
        requireRole(principal, 'owner');
        if (events.some((e) => e.type === 'UserDisabled')) await this.#keepAnOwner(principal.orgId);
      }
      if (events.length)
        await commit(
          this.deps,
          { type: 'user', id: request.id },
          request.expectedVersion ?? loaded.version,
          events,
          { orgId: principal.orgId, actor: actorOf(principal) },
        );
      await then(events.length > 0);
      return this.#view(principal.orgId, request.id);
    });
  }

  async #view(orgId: string, id: string): Promise<UserView> {
    const view = await this.deps.queries.user({ orgId }, id);
    if (!view) throw notFound('user', id);
    return view;
  }

  async #keepAnOwner(orgId: string): Promise<void> {
    if ((await this.deps.queries.countOwners({ orgId })) <= 1) {
      throw new IdentityError(
        IdentityErrorCode.LastOwner,
        'an organisation needs at least one owner: make someone else owner first',
      );
    }
  }

  /** The user's email address, reserved for the commit that starts using it. */
  #claim(email: string) {
    return { reservations: this.#emails.reservations, reserve: [this.#emails.of(email)] };
  }

  async #revokeSessions(
    principal: Principal,
    userId: string,
    reason: 'user_deleted' | 'user_disabled' | 'password_changed',
    keep?: string,
  ): Promise<void> {
    const sessions = await this.deps.queries.activeSessionIds({ orgId: principal.orgId }, userId);
    for (const sessionId of sessions.filter((s) => s !== keep)) {
      const loaded = await this.deps.store.load({ type: 'session', id: sessionId });
      await this.deps.store.append(
        { type: 'session', id: sessionId },
        loaded.version,
        [{ type: 'SessionRevoked', data: { reason } }],
        {
          commandId: `${sessionId}:revoke:${loaded.version}`,
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
      await this.deps.revocations.revokeSession(sessionId, this.deps.config.tokens.accessTtlSeconds + 60);
    }
  }
}
