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
import { routePrefix } from '@rustronaut/policy-engine';

type Body<
  P extends
    | 'policy.resources.create'
    | 'policy.resources.update'
    | 'policy.resources.delete'
    | 'policy.targets.update',
> = Omit<PolicyCommand<P>, 'principal'>;

/**
 * The aggregate that owns a (domain, path prefix) pair: a hash, so the id is subject-safe. A whole
 * domain (prefix `/`) keeps the id it always had, so claims made before prefixes counted still hold.
 */
export const domainAggregate = (domain: string, prefix = '/') => ({
  type: 'domain',
  id: createHash('sha256')
    .update(prefix === '/' ? domain : `${domain} ${prefix}`)
    .digest('hex')
    .slice(0, 40),
});

/** What a resource claims: each of its domains under its one path prefix. */
interface RouteClaim {
  domain: string;
  prefix: string;
}
const routeClaims = (resource: Pick<ResourceData, 'domains' | 'pathPrefix'>): RouteClaim[] =>
  resource.domains.map((domain) => ({ domain, prefix: routePrefix(resource.pathPrefix) }));
const sameClaim = (a: RouteClaim, b: RouteClaim) => a.domain === b.domain && a.prefix === b.prefix;

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
    for (const claim of routeClaims(resource)) await this.#claimDomain(principal, id, claim);
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

  async byHost(principal: Principal, host: string, path = '/'): Promise<ResourceView> {
    const view = await this.deps.queries.resourceByHost({ orgId: principal.orgId }, host.toLowerCase(), path);
    if (!view) throw notFound('resource serving', `${host}${path}`);
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
      const before = routeClaims(resource);
      const after = routeClaims(next);
      const added = after.filter((c) => !before.some((b) => sameClaim(b, c)));
      const removed = before.filter((c) => !after.some((a) => sameClaim(a, c)));
      for (const claim of added) await this.#claimDomain(principal, id, claim);
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
      for (const claim of removed) await this.#releaseDomain(principal, id, claim);
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
      for (const claim of routeClaims(resource)) await this.#releaseDomain(principal, id, claim);
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

  /**
   * A (domain, path prefix) pair belongs to one resource on the whole platform: several resources
   * may share a domain under different prefixes, and only a second claim of the same pair is a 409,
   * which names the resource that has it (when it is of the caller's organisation).
   */
  async #claimDomain(
    principal: Principal,
    resourceId: string,
    { domain, prefix }: RouteClaim,
  ): Promise<void> {
    const aggregate = domainAggregate(domain, prefix);
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load(aggregate);
      const holder = fold(loaded.events, evolveDomain);
      const owner = holder?.resourceId;
      if (owner === resourceId) return;
      if (owner) {
        const where = prefix === '/' ? domain : `${domain}${prefix}`;
        const ours = holder?.orgId === principal.orgId;
        throw new PolicyError(
          PolicyErrorCode.DomainTaken,
          ours
            ? `${where} is already served by resource ${owner}: give one of them another path_prefix`
            : `${where} is already served by a resource of another organisation`,
          {
            details: { field: 'domains', domain, path_prefix: prefix, ...(ours ? { resource: owner } : {}) },
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

  async #releaseDomain(
    principal: Principal,
    resourceId: string,
    { domain, prefix }: RouteClaim,
  ): Promise<void> {
    const aggregate = domainAggregate(domain, prefix);
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
