import type { IdentityCommand, OrganizationView, Page, Principal, UserView } from '@rustronaut/contracts';
import { evolveOrganization, fold } from '../domain/aggregates';
import { forbidden, notFound } from '../domain/errors';
import { DEFAULT_ORG_ID, newId } from '../domain/ids';
import { actorOf, commit, retryOnConflict, requireRole, type IdentityDeps } from './identity-deps';
import type { UserUseCases } from './users.use-cases';

/** Owners of the default organisation run the platform: they create and delete organisations. */
function isPlatformOperator(principal: Principal): boolean {
  return principal.orgId === DEFAULT_ORG_ID && principal.role === 'owner';
}

export function slugOf(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'org'
  );
}

export class OrganizationUseCases {
  constructor(
    private readonly deps: IdentityDeps,
    private readonly users: UserUseCases,
  ) {}

  async create(
    principal: Principal,
    request: Omit<IdentityCommand<'identity.orgs.create'>, 'principal'>,
  ): Promise<{ organization: OrganizationView; owner: UserView }> {
    if (!isPlatformOperator(principal))
      throw forbidden('only owners of the default organisation create organisations');
    const orgId = newId('org');
    return this.found(orgId, `${slugOf(request.name)}-${orgId.slice(4, 10)}`, request, actorOf(principal));
  }

  /** Creates an organisation and its first owner (also the first start's default organisation). */
  async found(
    orgId: string,
    slug: string,
    request: { name: string; owner: { email: string; name: string; password: string } },
    actor: { kind: 'user' | 'api_key' | 'system' | 'gateway'; id: string },
    commandId?: string,
  ): Promise<{ organization: OrganizationView; owner: UserView }> {
    await commit(
      this.deps,
      { type: 'organization', id: orgId },
      0,
      [{ type: 'OrganizationCreated', data: { name: request.name, slug } }],
      {
        orgId,
        actor,
        commandId,
      },
    );
    const owner = await this.users.register(
      orgId,
      actor,
      { ...request.owner, role: 'owner' },
      {
        commandId: commandId && `${commandId}:owner`,
      },
    );
    return { organization: await this.#view(orgId), owner };
  }

  async list(principal: Principal): Promise<Page<OrganizationView>> {
    const items = await this.deps.queries.organizations(
      isPlatformOperator(principal) ? 'all' : [principal.orgId],
    );
    return { items, nextCursor: null };
  }

  async get(principal: Principal, id: string): Promise<OrganizationView> {
    if (id !== principal.orgId && !isPlatformOperator(principal)) throw notFound('organisation', id);
    return this.#view(id);
  }

  async update(
    principal: Principal,
    request: Omit<IdentityCommand<'identity.orgs.update'>, 'principal'>,
  ): Promise<OrganizationView> {
    return retryOnConflict(request.expectedVersion, async () => {
      if (request.id !== principal.orgId && !isPlatformOperator(principal))
        throw notFound('organisation', request.id);
      requireRole(principal, 'owner');
      const loaded = await this.deps.store.load({ type: 'organization', id: request.id });
      const org = fold(loaded.events, evolveOrganization);
      if (!org || org.deleted) throw notFound('organisation', request.id);
      await commit(
        this.deps,
        { type: 'organization', id: request.id },
        request.expectedVersion ?? loaded.version,
        org.name === request.name ? [] : [{ type: 'OrganizationRenamed', data: { name: request.name } }],
        { orgId: request.id, actor: actorOf(principal) },
      );
      return this.#view(request.id);
    });
  }

  async delete(
    principal: Principal,
    request: Omit<IdentityCommand<'identity.orgs.delete'>, 'principal'>,
  ): Promise<{ deleted: true }> {
    return retryOnConflict(request.expectedVersion, async () => {
      if (!isPlatformOperator(principal))
        throw forbidden('only owners of the default organisation delete organisations');
      if (request.id === DEFAULT_ORG_ID) throw forbidden('the default organisation cannot be deleted');
      const loaded = await this.deps.store.load({ type: 'organization', id: request.id });
      const org = fold(loaded.events, evolveOrganization);
      if (!org || org.deleted) throw notFound('organisation', request.id);
      await commit(
        this.deps,
        { type: 'organization', id: request.id },
        request.expectedVersion ?? loaded.version,
        [{ type: 'OrganizationDeleted', data: {} }],
        { orgId: request.id, actor: actorOf(principal) },
      );
      return { deleted: true };
    });
  }

  async #view(id: string): Promise<OrganizationView> {
    const view = await this.deps.queries.organization(id);
    if (!view) throw notFound('organisation', id);
    return view;
  }
}
