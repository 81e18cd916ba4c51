import type { SiteSnapshot } from '@rustronaut/contracts';
import { routePrefix } from '@rustronaut/policy-engine';
import { canonicalise } from './canonical-path';
import type { RoutedResource } from '../model';

interface Entry {
  resource: RoutedResource;
  prefix: string;
  /** The prefix as a directory (`/admin/`): a path under it matches, `/administrator` does not. */
  directory: string;
}

/**
 * Which resource serves a request: by host (an exact domain wins over a wildcard, a longer
 * wildcard over a shorter one), then by the longest path prefix that covers the canonical path on
 * a segment boundary (`/admin` serves `/admin` and `/admin/x`, never `/administrator`) — the
 * console's `resourceFor` (libs/policy-engine) answers the same way. Prefixes are taken in their
 * canonical form (`/adm%69n/` is `/admin`), as paths are. Built once per snapshot change; a lookup
 * is a couple of map reads.
 */
export class RouteTable {
  readonly #exact = new Map<string, Entry[]>();
  readonly #wildcards = new Map<string, Entry[]>();
  readonly #resources: RoutedResource[] = [];

  constructor(snapshots: Iterable<SiteSnapshot>) {
    for (const snapshot of snapshots) {
      for (const resource of snapshot.resources) {
        if (resource.protocol !== 'http') continue;
        const prefix = prefixOf(resource.pathPrefix);
        const entry = {
          resource: { ...resource, orgId: snapshot.orgId, siteId: snapshot.siteId },
          prefix,
          directory: prefix === '/' ? '/' : `${prefix}/`,
        };
        this.#resources.push(entry.resource);
        for (const domain of resource.domains) {
          const table = domain.startsWith('*.') ? this.#wildcards : this.#exact;
          const key = domain.startsWith('*.') ? domain.slice(2) : domain;
          const entries = table.get(key) ?? [];
          entries.push(entry);
          entries.sort((a, b) => b.prefix.length - a.prefix.length);
          table.set(key, entries);
        }
      }
    }
  }

  /** Every HTTP resource routed, once each. */
  resources(): readonly RoutedResource[] {
    return this.#resources;
  }

  /** Whether some resource is published at this host (any path); `host` is already lower-case. */
  serves(host: string): boolean {
    if (this.#exact.has(host)) return true;
    for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1))
      if (this.#wildcards.has(host.slice(dot + 1))) return true;
    return false;
  }

  /** The exact (non-wildcard) domains of the published resources: the names ACME can validate. */
  exactDomains(): string[] {
    return [...this.#exact.keys()];
  }

  /**
   * The resource for a host (as `hostOf` gives it: lower case, no port) and canonical path. Runs for
   * every request: map reads and string compares, nothing allocated.
   */
  match(host: string, path: string): RoutedResource | undefined {
    const exact = byPath(this.#exact.get(host), path);
    if (exact) return exact;
    // *.api.company.com serves a.api.company.com and x.y.api.company.com; the longest suffix wins.
    for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
      const found = byPath(this.#wildcards.get(host.slice(dot + 1)), path);
      if (found) return found;
    }
    return undefined;
  }
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

/** The first entry (longest prefix first) whose prefix covers the path. */
function byPath(entries: Entry[] | undefined, path: string): RoutedResource | undefined {
  if (!entries) return undefined;
  for (const e of entries) {
    if (e.prefix === '/' || path === e.prefix || path.startsWith(e.directory)) return e.resource;
  }
  return undefined;
}
