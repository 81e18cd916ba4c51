import {
  cidrsOverlap,
  type PlatformEventDefinition,
  type ResourceData,
  type TargetData,
} from '@rustronaut/contracts';
import { Reservations, type KeyRef, type KeySpace } from '@rustronaut/eventstore';
import { routePrefix } from '@rustronaut/policy-engine';
import {
  evolveDomain,
  evolveResource,
  evolveSite,
  evolveSubnets,
  fold,
  type ResourceState,
} from '../domain/aggregates';
import { PolicyError, PolicyErrorCode } from '../domain/errors';
import type { PolicyDeps } from './policy-deps';
import { domainAggregate } from './legacy-claims';

/**
 * The unique keys of the policy service, each a space of the event store's reservations:
 * (domain, path prefix) pairs platform-wide, public ports per site and protocol, subnets per
 * organisation (no two may overlap), and the tunnel names of exposed services platform-wide.
 */
export interface PolicyKeys {
  reservations: Reservations<PlatformEventDefinition>;
  routes: KeySpace;
  ports: KeySpace;
  subnets: KeySpace;
  tunnelNames: KeySpace;
}

type ResourceKeyFields = Pick<
  ResourceData,
  'siteId' | 'protocol' | 'domains' | 'pathPrefix' | 'publicPort' | 'tunnel'
>;

const TUNNEL = 'tunnel:';
const routeKey = (domain: string, prefix: string) => `${domain} ${prefix}`;
const portBook = (siteId: string, protocol: string) => `${siteId} ${protocol}`;

/** Every key a resource uses: its (domain, prefix) pairs, its public port, its tunnel's name. */
export function resourceKeys(
  keys: PolicyKeys,
  resource: ResourceKeyFields,
  targets: Iterable<Pick<TargetData, 'address'>>,
): KeyRef[] {
  const prefix = routePrefix(resource.pathPrefix);
  const refs: KeyRef[] = resource.domains.map((domain) => ({
    space: keys.routes,
    key: routeKey(domain, prefix),
  }));
  if (resource.publicPort !== null) {
    const book = portBook(resource.siteId, resource.protocol);
    refs.push({ space: keys.ports, book, key: `${book} ${resource.publicPort}` });
  }
  if (resource.tunnel) {
    for (const { address } of targets)
      if (address.startsWith(TUNNEL))
        refs.push({ space: keys.tunnelNames, key: address.slice(TUNNEL.length) });
  }
  return refs;
}

/** The keys of `after` that `before` did not use, and the other way round. */
export function keyChanges(before: KeyRef[], after: KeyRef[]): { reserve: KeyRef[]; release: KeyRef[] } {
  const id = (r: KeyRef) => `${r.space.name} ${r.key}`;
  const had = new Set(before.map(id));
  const has = new Set(after.map(id));
  return { reserve: after.filter((r) => !had.has(id(r))), release: before.filter((r) => !has.has(id(r))) };
}

export function policyKeys(deps: PolicyDeps): PolicyKeys {
  const resource = async (id: string): Promise<ResourceState | undefined> => {
    const state = fold((await deps.store.load({ type: 'resource', id })).events, evolveResource);
    return state && !state.deleted ? state : undefined;
  };
  const uses = async (owner: string, key: string) => {
    const state = await resource(owner);
    return !!state && resourceKeys(keys, state, state.targets.values()).some((r) => r.key === key);
  };
  const keys: PolicyKeys = {
    reservations: new Reservations(deps.store, { clock: deps.clock }),
    routes: {
      name: 'route',
      holds: uses,
      taken(key, holder, wanted) {
        const [domain = key, prefix = '/'] = key.split(' ');
        const where = prefix === '/' ? domain : `${domain}${prefix}`;
        const ours = holder.orgId === wanted.orgId;
        return new PolicyError(
          PolicyErrorCode.DomainTaken,
          ours
            ? `${where} is already served by resource ${holder.owner}: give one of them another path_prefix`
            : `${where} is already served by a resource of another organisation`,
          {
            details: {
              field: 'domains',
              domain,
              path_prefix: prefix,
              ...(ours ? { resource: holder.owner } : {}),
            },
          },
        );
      },
      async legacy(key) {
        const [domain = key, prefix = '/'] = key.split(' ');
        const state = fold((await deps.store.load(domainAggregate(domain, prefix))).events, evolveDomain);
        return state?.resourceId ? [{ key, owner: state.resourceId, orgId: state.orgId ?? '' }] : [];
      },
    },
    ports: {
      name: 'port',
      holds: uses,
      taken(key, holder, wanted) {
        const [siteId, protocol, port] = key.split(' ');
        return new PolicyError(
          PolicyErrorCode.PortInUse,
          `${protocol} port ${port} is already bound on site ${siteId} by ${holder.orgId === wanted.orgId ? `resource ${holder.owner}` : 'another resource'}`,
          { details: { field: 'public_port', resource: holder.owner } },
        );
      },
      async legacy(book) {
        const [siteId = '', protocol = ''] = book.split(' ');
        const site = fold((await deps.store.load({ type: 'site', id: siteId })).events, evolveSite);
        if (!site) return [];
        return [...site.ports]
          .filter(([port]) => port.startsWith(`${protocol}/`))
          .map(([port, owner]) => ({
            key: `${book} ${port.slice(protocol.length + 1)}`,
            owner,
            orgId: site.orgId,
          }));
      },
    },
    subnets: {
      name: 'subnet',
      async holds(siteId, subnet) {
        const site = fold((await deps.store.load({ type: 'site', id: siteId })).events, evolveSite);
        return !!site && !site.deleted && site.subnet === subnet;
      },
      taken: (subnet, holder) =>
        new PolicyError(
          PolicyErrorCode.SubnetOverlap,
          `the subnet overlaps ${subnet} of site ${holder.owner}`,
          { details: { field: 'subnet', site: holder.owner, subnet } },
        ),
      collides: cidrsOverlap,
      async legacy(orgId) {
        const state = fold(
          (await deps.store.load({ type: 'site_subnets', id: orgId })).events,
          evolveSubnets,
        );
        return [...(state?.subnets ?? [])].map(([siteId, subnet]) => ({ key: subnet, owner: siteId, orgId }));
      },
    },
    tunnelNames: {
      name: 'tunnel-name',
      holds: uses,
      taken: (name) =>
        new PolicyError(PolicyErrorCode.TunnelNameTaken, `the service name ${name} is already exposed`, {
          details: { field: 'subdomain', name },
        }),
    },
  };
  return keys;
}
