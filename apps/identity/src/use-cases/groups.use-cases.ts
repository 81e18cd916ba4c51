import type {
  GroupView,
  IdentityCommand,
  NewEvent,
  Page,
  PlatformEvent,
  Principal,
} from '@rustronaut/contracts';
import { evolveGroup, fold, type GroupState } from '../domain/aggregates';
import { notFound } from '../domain/errors';
import { newId } from '../domain/ids';
import { actorOf, commit, retryOnConflict, requireRole, type IdentityDeps } from './identity-deps';

export class GroupUseCases {
  constructor(private readonly deps: IdentityDeps) {}

  async create(principal: Principal, name: string): Promise<GroupView> {
    requireRole(principal, 'admin');
    const id = newId('grp');
    await commit(this.deps, { type: 'group', id }, 0, [{ type: 'GroupCreated', data: { name } }], {
      orgId: principal.orgId,
      actor: actorOf(principal),
    });
    return this.get(principal, id);
  }

  async get(principal: Principal, id: string): Promise<GroupView> {
    const view = await this.deps.queries.group({ orgId: principal.orgId }, id);
    if (!view) throw notFound('group', id);
    return view;
  }

  list(principal: Principal, cursor: string | undefined, limit: number): Promise<Page<GroupView>> {
    return this.deps.queries.groups({ orgId: principal.orgId }, cursor, limit);
  }

  async rename(
    principal: Principal,
    request: Omit<IdentityCommand<'identity.groups.update'>, 'principal'>,
  ): Promise<GroupView> {
    return this.#change(principal, request.id, request.expectedVersion, (g) =>
      g.name === request.name ? [] : [{ type: 'GroupRenamed', data: { name: request.name } }],
    );
  }

  async delete(
    principal: Principal,
    request: Omit<IdentityCommand<'identity.groups.delete'>, 'principal'>,
  ): Promise<{ deleted: true }> {
    await this.#change(
      principal,
      request.id,
      request.expectedVersion,
      () => [{ type: 'GroupDeleted', data: {} }],
      false,
    );
    return { deleted: true };
  }

  async addMember(principal: Principal, id: string, userId: string): Promise<GroupView> {
    if (!(await this.deps.queries.user({ orgId: principal.orgId }, userId))) throw notFound('user', userId);
    return this.#change(principal, id, undefined, (g) =>
      g.members.has(userId) ? [] : [{ type: 'GroupMemberAdded', data: { userId } }],
    );
  }

  async removeMember(principal: Principal, id: string, userId: string): Promise<GroupView> {
    return this.#change(principal, id, undefined, (g) =>
      g.members.has(userId) ? [{ type: 'GroupMemberRemoved', data: { userId } }] : [],
    );
  }

  async #change(
    principal: Principal,
    id: string,
    expectedVersion: number | undefined,
    decide: (group: GroupState) => NewEvent<PlatformEvent>[],
    view = true,
  ): Promise<GroupView> {
    return retryOnConflict(expectedVersion, async () => {
      requireRole(principal, 'admin');
      const loaded = await this.deps.store.load({ type: 'group', id });
      const group = fold(loaded.events, evolveGroup);
      if (!group || group.deleted || group.orgId !== principal.orgId) throw notFound('group', id);
      const events = decide(group);
      await commit(this.deps, { type: 'group', id }, expectedVersion ?? loaded.version, events, {
        orgId: principal.orgId,
        actor: actorOf(principal),
      });
      return view ? this.get(principal, id) : ({} as GroupView);
    });
  }
}
