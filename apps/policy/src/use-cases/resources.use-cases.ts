import {
  actorOf,
  newId,
  requireRole,
  type NewEvent,
  type Page,
  type PlatformEvent,
  type PolicyCommand,
  type Principal,
  type ResourceData,
  type ResourceView,
  type TargetData,
  type TargetView,
} from '@rustronaut/contracts';
import { commitAndWait, retryOnConflict } from '@rustronaut/eventstore';
import { definedOnly, evolveResource, evolveSite, fold, type ResourceState } from '../domain/aggregates';
import { notFound } from '../domain/errors';
import { checkResourceShape } from '../domain/resource-rules';
import type { PolicyDeps } from './policy-deps';
import { keyChanges, policyKeys, resourceKeys, type PolicyKeys } from './unique-keys';

type Body<
  P extends
    | 'policy.resources.create'
    | 'policy.resources.update'
    | 'policy.resources.delete'
    | 'policy.targets.update',
> = Omit<PolicyCommand<P>, 'principal'>;

export class ResourceUseCases {
  readonly #keys: PolicyKeys;

  constructor(private readonly deps: PolicyDeps) {
    this.#keys = policyKeys(deps);
  }

  /** Creates a resource (and its targets, given inline): domains and the port are claimed first. */
  async create(
    principal: Principal,
    { resource, targets }: Body<'policy.resources.create'>,
  ): Promise<ResourceView> {
    requireRole(principal, 'admin');
    return this.createAs(principal, resource, targets);
  }

  /**
   * Creates a resource for a principal whose right to do so the caller has checked (the services
   * API lets members expose their own services).
   */
  async createAs(
    principal: Principal,
    resource: ResourceData,
    targets: TargetData[],
    id = newId('res'),
  ): Promise<ResourceView> {
    checkResourceShape(resource);
    const site = fold((await this.deps.store.load({ type: 'site', id: resource.siteId })).events, evolveSite);
    if (!site || site.deleted || site.orgId !== principal.orgId) throw notFound('site', resource.siteId);
    const events: NewEvent<PlatformEvent>[] = [
      { type: 'ResourceCreated', data: resource },
      ...targets.map((target): NewEvent<PlatformEvent> => ({
        type: 'ResourceTargetAdded',
        data: { ...target, targetId: newId('tgt') },
      })),
    ];
    // Its domains (by path prefix), public port and tunnel name: reserved, then confirmed by the commit.
    const keys = {
      reservations: this.#keys.reservations,
      reserve: resourceKeys(this.#keys, resource, targets),
    };
    await commitAndWait(this.deps, { type: 'resource', id }, 0, events, {
      orgId: principal.orgId,
      actor: actorOf(principal),
      keys,
    });
    return this.get(principal, id);
  }

  async get(principal: Principal, id: string): Promise<ResourceView> {
    const view = await this.deps.queries.resource({ orgId: principal.orgId }, id);
    if (!view) throw notFound('resource', id);
    return view;
  }

  async byHost(principal: Principal, host: string, path = '/'): Promise<ResourceView> {
    const view = await this.deps.queries.resourceByHost({ orgId: principal.orgId }, host.toLowerCase(), path);
    if (!view) throw notFound('resource serving', `${host}${path}`);
    return view;
  }

  /** Which organisation serves this host (a sign-in page offers that organisation's providers). */
  async orgOfHost(host: string): Promise<{ orgId: string }> {
    const orgId = await this.deps.queries.orgOfHost(host.toLowerCase());
    if (!orgId) throw notFound('resource serving', host);
    return { orgId };
  }

  list(
    principal: Principal,
    siteId: string | undefined,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<ResourceView>> {
    return this.deps.queries.resources(
      { orgId: principal.orgId, ...(siteId ? { siteId } : {}) },
      cursor,
      limit,
    );
  }

  async update(
    principal: Principal,
    { id, expectedVersion, changes }: Body<'policy.resources.update'>,
  ): Promise<ResourceView> {
    requireRole(principal, 'admin');
    return retryOnConflict(expectedVersion, async () => {
      const { resource, version } = await this.#load(principal, id);
      const given = definedOnly(changes);
      const next: ResourceData = { ...resource, ...given };
      checkResourceShape(next);
      const targets = [...resource.targets.values()];
      const keys = keyChanges(
        resourceKeys(this.#keys, resource, targets),
        resourceKeys(this.#keys, next, targets),
      );
      await commitAndWait(
        this.deps,
        { type: 'resource', id },
        expectedVersion ?? version,
        [{ type: 'ResourceUpdated', data: given }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          keys: { reservations: this.#keys.reservations, ...keys },
        },
      );
      return this.get(principal, id);
    });
  }

  async delete(
    principal: Principal,
    { id, expectedVersion }: Body<'policy.resources.delete'>,
  ): Promise<{ deleted: true }> {
    requireRole(principal, 'admin');
    return this.deleteAs(principal, { id, expectedVersion });
  }

  /** Deletes a resource (releasing its domains and port) for a principal the caller has checked. */
  deleteAs(
    principal: Principal,
    { id, expectedVersion }: Body<'policy.resources.delete'>,
  ): Promise<{ deleted: true }> {
    return retryOnConflict(expectedVersion, async () => {
      const { resource, version } = await this.#load(principal, id);
      const release = resourceKeys(this.#keys, resource, resource.targets.values());
      await commitAndWait(
        this.deps,
        { type: 'resource', id },
        expectedVersion ?? version,
        [{ type: 'ResourceDeleted', data: {} }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          keys: { reservations: this.#keys.reservations, release },
        },
      );
      return { deleted: true as const };
    });
  }

  async addTarget(principal: Principal, resourceId: string, target: TargetData): Promise<ResourceView> {
    requireRole(principal, 'admin');
    return this.#changeTargets(principal, resourceId, () => [
      { type: 'ResourceTargetAdded', data: { ...target, targetId: newId('tgt') } },
    ]);
  }

  async targets(principal: Principal, resourceId: string): Promise<TargetView[]> {
    return (await this.get(principal, resourceId)).targets;
  }

  async updateTarget(
    principal: Principal,
    { resourceId, targetId, changes }: Body<'policy.targets.update'>,
  ): Promise<ResourceView> {
    requireRole(principal, 'admin');
    return this.#changeTargets(principal, resourceId, (resource) => {
      if (!resource.targets.has(targetId)) throw notFound('target', targetId);
      return [{ type: 'ResourceTargetUpdated', data: { ...definedOnly(changes), targetId } }];
    });
  }

  async removeTarget(principal: Principal, resourceId: string, targetId: string): Promise<ResourceView> {
    requireRole(principal, 'admin');
    return this.#changeTargets(principal, resourceId, (resource) => {
      if (!resource.targets.has(targetId)) throw notFound('target', targetId);
      return [{ type: 'ResourceTargetRemoved', data: { targetId } }];
    });
  }

  async #changeTargets(
    principal: Principal,
    resourceId: string,
    decide: (resource: ResourceState) => NewEvent<PlatformEvent>[],
  ): Promise<ResourceView> {
    return retryOnConflict(undefined, async () => {
      const { resource, version } = await this.#load(principal, resourceId);
      await commitAndWait(this.deps, { type: 'resource', id: resourceId }, version, decide(resource), {
        orgId: principal.orgId,
        actor: actorOf(principal),
      });
      return this.get(principal, resourceId);
    });
  }

  async #load(principal: Principal, id: string): Promise<{ resource: ResourceState; version: number }> {
    const loaded = await this.deps.store.load({ type: 'resource', id });
    const resource = fold(loaded.events, evolveResource);
    if (!resource || resource.deleted || resource.orgId !== principal.orgId) throw notFound('resource', id);
    return { resource, version: loaded.version };
  }
}
