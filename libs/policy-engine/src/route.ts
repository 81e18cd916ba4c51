/**
 * Which resource serves a (host, path): several HTTP resources may share a domain, each under its
 * own path prefix. An exact domain wins over a wildcard, a longer wildcard over a shorter one; then
 * the longest prefix that covers the path on a segment boundary (`/admin` covers `/admin` and
 * `/admin/x`, never `/administrator`). The console (sign-in hand-off, simulator) asks this; the
 * gateway's route table is the same index (RouteIndex), built from its snapshot.
 */
export interface Routable {
  domains: readonly string[];
  pathPrefix: string | null;
}

/**
 * The prefix a resource claims on its domains, in one spelling: no prefix is `/`, and a trailing
 * slash is not part of it (`/admin` and `/admin/` serve the same requests, so they are one claim).
 */
export function routePrefix(pathPrefix: string | null): string {
  if (pathPrefix === null) return '/';
  const trimmed = pathPrefix.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** Does a resource's prefix cover this (canonical) path, on a segment boundary? */
export function prefixCovers(pathPrefix: string | null, path: string): boolean {
  const prefix = routePrefix(pathPrefix);
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

/** The host names a domain pattern answers for, best first: the host itself, then `*.` parents. */
function hostCandidates(host: string): string[] {
  const labels = host.split('.');
  return [host, ...labels.slice(1).map((_, i) => `*.${labels.slice(i + 1).join('.')}`)];
}

interface RouteEntry<R> {
  resource: R;
  prefix: string;
  /** The prefix as a directory (`/admin/`): a path under it matches, `/administrator` does not. */
  directory: string;
}

/**
 * Which resource serves a (host, path), as an index built once: by host (an exact domain wins
 * over a wildcard, a longer wildcard over a shorter one), then by the longest prefix that covers
 * the path on a segment boundary; of two resources with the same claim, the one listed first.
 * The gateway's route table is one (with canonical prefixes); `resourceFor` asks a throwaway one.
 * A lookup is a couple of map reads and string compares, nothing allocated.
 */
export class RouteIndex<R extends Routable> {
  readonly #exact = new Map<string, RouteEntry<R>[]>();
  readonly #wildcards = new Map<string, RouteEntry<R>[]>();

  /** `prefixOf` spells a resource's prefix as paths are matched (routePrefix by default). */
  constructor(resources: Iterable<R>, prefixOf: (pathPrefix: string | null) => string = routePrefix) {
    for (const resource of resources) {
      const prefix = prefixOf(resource.pathPrefix);
      const entry = { resource, prefix, directory: prefix === '/' ? '/' : `${prefix}/` };
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

  /** Whether some resource is published at this host (any path); `host` is already lower-case. */
  serves(host: string): boolean {
    if (this.#exact.has(host)) return true;
    for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1))
      if (this.#wildcards.has(host.slice(dot + 1))) return true;
    return false;
  }

  /** The exact (non-wildcard) domains of the resources. */
  exactDomains(): string[] {
    return [...this.#exact.keys()];
  }

  /** The resource for a host (lower case, no port) and a canonical path, or undefined. */
  match(host: string, path: string): R | undefined {
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

/** The first entry (longest prefix first) whose prefix covers the path. */
function byPath<R>(entries: RouteEntry<R>[] | undefined, path: string): R | undefined {
  if (!entries) return undefined;
  for (const e of entries) {
    if (e.prefix === '/' || path === e.prefix || path.startsWith(e.directory)) return e.resource;
  }
  return undefined;
}

/** The resource that serves `host` (lower case, no port) and `path`, or undefined. */
export function resourceFor<R extends Routable>(
  resources: readonly R[],
  host: string,
  path: string,
): R | undefined {
  return new RouteIndex(resources).match(host, path);
}

/** The domain patterns a host could be served by (for a query that narrows the candidates). */
export const domainPatternsFor = hostCandidates;
