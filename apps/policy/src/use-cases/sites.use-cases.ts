import {
  actorOf,
  issueSecret,
  newId,
  requireRole,
  type Page,
  type PolicyCommand,
  type Principal,
  type SiteView,
} from '@rustronaut/contracts';
import { commitAndWait, retryOnConflict, type KeyRef } from '@rustronaut/eventstore';
import { definedOnly, evolveSite, fold } from '../domain/aggregates';
import { PolicyError, PolicyErrorCode, notFound } from '../domain/errors';
import type { PolicyDeps } from './policy-deps';
import { policyKeys, type PolicyKeys } from './unique-keys';

type Cmd<P extends 'policy.sites.create' | 'policy.sites.update' | 'policy.sites.delete'> = Omit<
  PolicyCommand<P>,
  'principal'
>;

export class SiteUseCases {
  readonly #keys: PolicyKeys;

  constructor(
    private readonly deps: PolicyDeps,
    /** Where connectors dial (the gateways' HTTPS endpoint). */
    private readonly tunnelEndpoint = '',
  ) {
    this.#keys = policyKeys(deps);
  }

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
    await commitAndWait(this.deps, { type: 'site', id }, 0, [{ type: 'SiteCreated', data: site }], {
      orgId: principal.orgId,
      actor: actorOf(principal),
      keys: { reservations: this.#keys.reservations, reserve: [this.#subnet(principal, site.subnet)] },
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
      const moved = given.subnet !== undefined && given.subnet !== site.subnet;
      await commitAndWait(
        this.deps,
        { type: 'site', id },
        expectedVersion ?? loaded.version,
        [{ type: 'SiteUpdated', data: given }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          keys: {
            reservations: this.#keys.reservations,
            reserve: moved && given.subnet ? [this.#subnet(principal, given.subnet)] : [],
            release: moved ? [this.#subnet(principal, site.subnet)] : [],
          },
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
          keys: { reservations: this.#keys.reservations, release: [this.#subnet(principal, site.subnet)] },
        },
      );
      return { deleted: true as const };
    });
  }

  /** A site's subnet: no two sites of an organisation may overlap. */
  #subnet(principal: Principal, subnet: string): KeyRef {
    return { space: this.#keys.subnets, book: principal.orgId, key: subnet };
  }
}
