/**
 * Which resource serves a (host, path): several HTTP resources may share a domain, each under its
 * own path prefix. An exact domain wins over a wildcard, a longer wildcard over a shorter one; then
 * the longest prefix that covers the path on a segment boundary (`/admin` covers `/admin` and
 * `/admin/x`, never `/administrator`). The console (sign-in hand-off, simulator) asks this; the
 * gateway's route table answers the same question from its snapshot.
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

/** The resource that serves `host` (lower case, no port) and `path`, or undefined. */
export function resourceFor<R extends Routable>(
  resources: readonly R[],
  host: string,
  path: string,
): R | undefined {
  for (const name of hostCandidates(host)) {
    let best: R | undefined;
    let bestLength = -1;
    for (const resource of resources) {
      if (!resource.domains.includes(name) || !prefixCovers(resource.pathPrefix, path)) continue;
      const length = routePrefix(resource.pathPrefix).length;
      if (length > bestLength) {
        best = resource;
        bestLength = length;
      }
    }
    if (best) return best;
  }
  return undefined;
}

/** The domain patterns a host could be served by (for a query that narrows the candidates). */
export const domainPatternsFor = hostCandidates;
