import { createHash } from 'node:crypto';
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
import { ConcurrencyConflictError, commitAndWait, retryOnConflict } from '@rustronaut/eventstore';
import {
  definedOnly,
  evolveDomain,
  evolveResource,
  evolveSite,
  fold,
  portKey,
  type ResourceState,
} from '../domain/aggregates';
import { PolicyError, PolicyErrorCode, notFound } from '../domain/errors';
import { checkResourceShape } from '../domain/resource-rules';
import type { PolicyDeps } from './policy-deps';

type Body<
  P extends
    | 'policy.resources.create'
    | 'policy.resources.update'
    | 'policy.resources.delete'
    | 'policy.targets.update',
> = Omit<PolicyCommand<P>, 'principal'>;

/** The aggregate that owns a domain name: a hash, so the id is subject-safe. */
export const domainAggregate = (domain: string) => ({
  type: 'domain',
  id: createHash('sha256').update(domain).digest('hex').slice(0, 40),
});

export class ResourceUseCases {
  constructor(private readonly deps: PolicyDeps) {}

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
    for (const domain of resource.domains) await this.#claimDomain(principal, id, domain);
    if (resource.publicPort !== null)
      await this.#claimPort(
        principal,
        resource.siteId,
        resource.protocol as 'tcp' | 'udp',
        resource.publicPort,
        id,
      );
    const events: NewEvent<PlatformEvent>[] = [
      { type: 'ResourceCreated', data: resource },
      ...targets.map((target): NewEvent<PlatformEvent> => ({
        type: 'ResourceTargetAdded',
        data: { ...target, targetId: newId('tgt') },
      })),
    ];
    await commitAndWait(this.deps, { type: 'resource', id }, 0, events, {
      orgId: principal.orgId,
      actor: actorOf(principal),
    });
    return this.get(principal, id);
  }

  async get(principal: Principal, id: string): Promise<ResourceView> {
    const view = await this.deps.queries.resource({ orgId: principal.orgId }, id);
    if (!view) throw notFound('resource', id);
    return view;
  }

  async byHost(principal: Principal, host: string): Promise<ResourceView> {
    const view = await this.deps.queries.resourceByHost({ orgId: principal.orgId }, host.toLowerCase());
    if (!view) throw notFound('resource serving', host);
    return view;
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
      const added = next.domains.filter((d) => !resource.domains.includes(d));
      const removed = resource.domains.filter((d) => !next.domains.includes(d));
      for (const domain of added) await this.#claimDomain(principal, id, domain);
      const portChanged = next.publicPort !== resource.publicPort;
      if (portChanged && next.publicPort !== null) {
        await this.#claimPort(
          principal,
          resource.siteId,
          resource.protocol as 'tcp' | 'udp',
          next.publicPort,
          id,
        );
      }
      await commitAndWait(
        this.deps,
        { type: 'resource', id },
        expectedVersion ?? version,
        [{ type: 'ResourceUpdated', data: given }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
      for (const domain of removed) await this.#releaseDomain(principal, id, domain);
      if (portChanged && resource.publicPort !== null) {
        await this.#releasePort(
          principal,
          resource.siteId,
          resource.protocol as 'tcp' | 'udp',
          resource.publicPort,
          id,
        );
      }
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
      await commitAndWait(
        this.deps,
        { type: 'resource', id },
        expectedVersion ?? version,
        [{ type: 'ResourceDeleted', data: {} }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
      for (const domain of resource.domains) await this.#releaseDomain(principal, id, domain);
      if (resource.publicPort !== null) {
        await this.#releasePort(
          principal,
          resource.siteId,
          resource.protocol as 'tcp' | 'udp',
          resource.publicPort,
          id,
        );
      }
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

  /** A domain belongs to one resource on the whole platform: a second claim is a 409. */
  async #claimDomain(principal: Principal, resourceId: string, domain: string): Promise<void> {
    const aggregate = domainAggregate(domain);
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load(aggregate);
      const owner = fold(loaded.events, evolveDomain)?.resourceId;
      if (owner === resourceId) return;
      if (owner) {
        throw new PolicyError(
          PolicyErrorCode.DomainTaken,
          `the domain ${domain} is already served by another resource`,
          {
            details: { field: 'domains', domain },
          },
        );
      }
      await this.deps.store.append(
        aggregate,
        loaded.version,
        [{ type: 'DomainClaimed', data: { domain, resourceId } }],
        {
          commandId: `${resourceId}:claim:${aggregate.id}:${loaded.version}`,
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    });
  }

  async #releaseDomain(principal: Principal, resourceId: string, domain: string): Promise<void> {
    const aggregate = domainAggregate(domain);
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load(aggregate);
      if (fold(loaded.events, evolveDomain)?.resourceId !== resourceId) return;
      await this.deps.store.append(
        aggregate,
        loaded.version,
        [{ type: 'DomainReleased', data: { resourceId } }],
        {
          commandId: `${resourceId}:release:${aggregate.id}:${loaded.version}`,
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    });
  }

  /** A public port is bound by one resource per site and protocol. */
  async #claimPort(
    principal: Principal,
    siteId: string,
    protocol: 'tcp' | 'udp',
    port: number,
    resourceId: string,
  ): Promise<void> {
    for (let tries = 0; ; tries++) {
      const loaded = await this.deps.store.load({ type: 'site', id: siteId });
      const site = fold(loaded.events, evolveSite);
      if (!site || site.deleted) throw notFound('site', siteId);
      const holder = site.ports.get(portKey(protocol, port));
      if (holder === resourceId) return;
      if (holder) {
        throw new PolicyError(
          PolicyErrorCode.PortInUse,
          `${protocol} port ${port} is already bound on site ${siteId} by resource ${holder}`,
          {
            details: { field: 'public_port', resource: holder },
          },
        );
      }
      try {
        await this.deps.store.append(
          { type: 'site', id: siteId },
          loaded.version,
          [{ type: 'SitePortClaimed', data: { port, protocol, resourceId } }],
          {
            commandId: `${resourceId}:port:${protocol}:${port}:${loaded.version}`,
            orgId: principal.orgId,
            actor: actorOf(principal),
          },
        );
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyConflictError) || tries >= 5) throw error;
      }
    }
  }

  async #releasePort(
    principal: Principal,
    siteId: string,
    protocol: 'tcp' | 'udp',
    port: number,
    resourceId: string,
  ): Promise<void> {
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load({ type: 'site', id: siteId });
      if (fold(loaded.events, evolveSite)?.ports.get(portKey(protocol, port)) !== resourceId) return;
      await this.deps.store.append(
        { type: 'site', id: siteId },
        loaded.version,
        [{ type: 'SitePortReleased', data: { port, protocol } }],
        {
          commandId: `${resourceId}:unport:${protocol}:${port}:${loaded.version}`,
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    });
  }
}
