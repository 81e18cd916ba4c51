import {
  actorOf,
  cidrsOverlap,
  issueSecret,
  newId,
  requireRole,
  type Page,
  type PolicyCommand,
  type Principal,
  type SiteView,
} from '@rustronaut/contracts';
import { ConcurrencyConflictError, commitAndWait, retryOnConflict } from '@rustronaut/eventstore';
import { definedOnly, evolveSite, evolveSubnets, fold } from '../domain/aggregates';
import { PolicyError, PolicyErrorCode, notFound } from '../domain/errors';
import type { PolicyDeps } from './policy-deps';

type Cmd<P extends 'policy.sites.create' | 'policy.sites.update' | 'policy.sites.delete'> = Omit<
  PolicyCommand<P>,
  'principal'
>;

export class SiteUseCases {
  constructor(
    private readonly deps: PolicyDeps,
    /** Where connectors dial (the gateways' HTTPS endpoint). */
    private readonly tunnelEndpoint = '',
  ) {}

  /**
   * A connector token for the site (`rustronaut connector --token`), shown once; a new one replaces
   * the old, whose connector is refused from its next connection on.
   */
  async issueConnectorToken(
    principal: Principal,
    id: string,
  ): Promise<{ siteId: string; token: string; endpoint: string }> {
    requireRole(principal, 'admin');
    const { token, hash } = issueSecret('rnc', id);
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load({ type: 'site', id });
      const site = fold(loaded.events, evolveSite);
      if (!site || site.deleted || site.orgId !== principal.orgId) throw notFound('site', id);
      await commitAndWait(
        this.deps,
        { type: 'site', id },
        loaded.version,
        [{ type: 'SiteConnectorTokenIssued', data: { tokenHash: hash } }],
        { orgId: principal.orgId, actor: actorOf(principal) },
      );
    });
    return { siteId: id, token, endpoint: this.tunnelEndpoint };
  }

  async create(principal: Principal, { site }: Cmd<'policy.sites.create'>): Promise<SiteView> {
    requireRole(principal, 'admin');
    const id = newId('st');
    await this.#registerSubnet(principal, id, site.subnet);
    await commitAndWait(this.deps, { type: 'site', id }, 0, [{ type: 'SiteCreated', data: site }], {
      orgId: principal.orgId,
      actor: actorOf(principal),
    });
    return this.get(principal, id);
  }

  async get(principal: Principal, id: string): Promise<SiteView> {
    const site = await this.deps.queries.site({ orgId: principal.orgId }, id);
    if (!site) throw notFound('site', id);
    return site;
  }

  list(principal: Principal, cursor: string | undefined, limit: number): Promise<Page<SiteView>> {
    return this.deps.queries.sites({ orgId: principal.orgId }, cursor, limit);
  }

  async update(
    principal: Principal,
    { id, expectedVersion, changes }: Cmd<'policy.sites.update'>,
  ): Promise<SiteView> {
    requireRole(principal, 'admin');
    return retryOnConflict(expectedVersion, async () => {
      const loaded = await this.deps.store.load({ type: 'site', id });
      const site = fold(loaded.events, evolveSite);
      if (!site || site.deleted || site.orgId !== principal.orgId) throw notFound('site', id);
      const given = definedOnly(changes);
      if (given.subnet && given.subnet !== site.subnet)
        await this.#registerSubnet(principal, id, given.subnet);
      await commitAndWait(
        this.deps,
        { type: 'site', id },
        expectedVersion ?? loaded.version,
        [{ type: 'SiteUpdated', data: given }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
      return this.get(principal, id);
    });
  }

  async delete(
    principal: Principal,
    { id, expectedVersion }: Cmd<'policy.sites.delete'>,
  ): Promise<{ deleted: true }> {
    requireRole(principal, 'admin');
    return retryOnConflict(expectedVersion, async () => {
      const loaded = await this.deps.store.load({ type: 'site', id });
      const site = fold(loaded.events, evolveSite);
      if (!site || site.deleted || site.orgId !== principal.orgId) throw notFound('site', id);
      const inUse = await this.deps.queries.resourceCount({ orgId: principal.orgId }, id);
      if (inUse > 0) {
        throw new PolicyError(
          PolicyErrorCode.SiteInUse,
          `site ${id} still has ${inUse} resource(s): delete them first`,
        );
      }
      await commitAndWait(
        this.deps,
        { type: 'site', id },
        expectedVersion ?? loaded.version,
        [{ type: 'SiteDeleted', data: {} }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
      await this.#releaseSubnet(principal, id);
      return { deleted: true as const };
    });
  }

  /** Records the site's subnet in the organisation's subnet list, refusing an overlap. */
  async #registerSubnet(principal: Principal, siteId: string, subnet: string): Promise<void> {
    const aggregate = { type: 'site_subnets', id: principal.orgId };
    for (let tries = 0; ; tries++) {
      const loaded = await this.deps.store.load(aggregate);
      const subnets = fold(loaded.events, evolveSubnets)?.subnets ?? new Map<string, string>();
      for (const [otherSite, other] of subnets) {
        if (otherSite !== siteId && cidrsOverlap(subnet, other)) {
          throw new PolicyError(
            PolicyErrorCode.SubnetOverlap,
            `subnet ${subnet} overlaps ${other} of site ${otherSite}`,
            {
              details: { field: 'subnet', site: otherSite, subnet: other },
            },
          );
        }
      }
      try {
        await this.deps.store.append(
          aggregate,
          loaded.version,
          [{ type: 'SiteSubnetRegistered', data: { siteId, subnet } }],
          {
            commandId: `${siteId}:subnet:${subnet}:${loaded.version}`,
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

  async #releaseSubnet(principal: Principal, siteId: string): Promise<void> {
    const aggregate = { type: 'site_subnets', id: principal.orgId };
    await retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load(aggregate);
      if (!fold(loaded.events, evolveSubnets)?.subnets.has(siteId)) return;
      await this.deps.store.append(
        aggregate,
        loaded.version,
        [{ type: 'SiteSubnetReleased', data: { siteId } }],
        {
          commandId: `${siteId}:subnet-release:${loaded.version}`,
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    });
  }
}
