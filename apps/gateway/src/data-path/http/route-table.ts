import type { SiteSnapshot } from '@rustronaut/contracts';
import { RouteIndex, routePrefix } from '@rustronaut/policy-engine';
import { canonicalise } from './canonical-path';
import type { RoutedResource } from '../model';

/**
 * Which resource serves a request: the policy engine's RouteIndex (by host, then the longest path
 * prefix that covers the canonical path on a segment boundary: the console's `resourceFor` is the
 * same index) over the snapshots' HTTP resources, with prefixes taken in their canonical form
 * (`/adm%69n/` is `/admin`), as paths are. Built once per snapshot change; a lookup is a couple of
 * map reads.
 */
export class RouteTable extends RouteIndex<RoutedResource> {
  readonly #resources: RoutedResource[];

  constructor(snapshots: Iterable<SiteSnapshot>) {
    const resources = httpResourcesOf(snapshots);
    super(resources, prefixOf);
    this.#resources = resources;
  }

  /** Every HTTP resource routed, once each. */
  resources(): readonly RoutedResource[] {
    return this.#resources;
  }
}

/** The snapshots' HTTP resources, each with the org and site it belongs to. */
function httpResourcesOf(snapshots: Iterable<SiteSnapshot>): RoutedResource[] {
  const resources: RoutedResource[] = [];
  for (const snapshot of snapshots)
    for (const resource of snapshot.resources)
      if (resource.protocol === 'http')
        resources.push({ ...resource, orgId: snapshot.orgId, siteId: snapshot.siteId });
  return resources;
}

/**
 * A resource's prefix as paths are matched: canonical, without a trailing slash. One the gateway
 * would refuse as a path (`/a;b`) stays as written: no request reaches it (such paths get 400).
 */
function prefixOf(pathPrefix: string | null): string {
  if (pathPrefix === null) return '/';
  const verdict = canonicalise(pathPrefix);
  return routePrefix(verdict.refused === undefined ? verdict.path : pathPrefix);
}
