import type { ResourceData } from '@rustronaut/contracts';
import { PolicyError, PolicyErrorCode } from './errors';

/** The shape a resource must have for its protocol: HTTP by domains, TCP by a public port or names, UDP by a public port. */
export function checkResourceShape(resource: ResourceData): void {
  const invalid = (message: string, field: string) =>
    new PolicyError(PolicyErrorCode.InvalidResource, message, { details: { field } });
  if (resource.protocol === 'http') {
    if (resource.domains.length === 0) throw invalid('an http resource needs at least one domain', 'domains');
    if (resource.pathPrefix !== null && !isCanonicalPrefix(resource.pathPrefix))
      throw invalid(
        'path_prefix must be written in canonical form: "/"-separated segments of letters, digits and -._~!$&\'()*+,=:@, with no empty, "." or ".." segment and no percent-escape',
        'path_prefix',
      );
    if (resource.publicPort !== null)
      throw invalid('an http resource is reached by its domains, not a public_port', 'public_port');
  } else if (resource.protocol === 'tcp') {
    // A TCP resource is reached on its public port, or by name through `rustronaut forward`
    // (its domains: a private database needs no public port at all).
    if (resource.publicPort === null && resource.domains.length === 0)
      throw invalid(
        'a tcp resource needs a public_port, or domains to be reached by rustronaut forward',
        'public_port',
      );
    if (resource.pathPrefix !== null) throw invalid('path_prefix is for http resources', 'path_prefix');
  } else {
    if (resource.publicPort === null)
      throw invalid(`a ${resource.protocol} resource needs a public_port`, 'public_port');
    if (resource.domains.length > 0)
      throw invalid(`a ${resource.protocol} resource has no domains`, 'domains');
    if (resource.pathPrefix !== null) throw invalid('path_prefix is for http resources', 'path_prefix');
  }
  if (new Set(resource.domains).size !== resource.domains.length)
    throw invalid('a domain is listed twice', 'domains');
}

/**
 * A path prefix the gateway matches exactly as written: no escapes, empty segments or dot segments,
 * nothing it would refuse in a path (`;`, `\\`). Two prefixes that differ in spelling therefore
 * differ as routes too, so the (domain, prefix) claim sees every true duplicate.
 */
const CANONICAL_PREFIX = /^(?:\/[A-Za-z0-9\-._~!$&'()*+,=:@]+)*\/?$/;
export function isCanonicalPrefix(prefix: string): boolean {
  if (!CANONICAL_PREFIX.test(prefix)) return false;
  return prefix.split('/').every((segment) => segment !== '.' && segment !== '..');
}
