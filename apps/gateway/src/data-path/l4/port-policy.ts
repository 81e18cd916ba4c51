import { decidePublicPort, publicPortPolicies, type PolicyRule } from '@rustronaut/policy-engine';
import type { CountryLookup } from '../admission/firewall/geoip';
import type { RoutedResource } from '../model';

/**
 * Who may use a TCP/UDP resource's public port, by policy. A resource that requires sign-in (the
 * default) admits only connections an allow policy opens by what layer 4 knows — the source
 * address, its country, the time — and none at all without such a policy (fail closed). A public
 * resource (`auth_required: false`) is governed by its firewall rules alone. Compiled once per
 * snapshot; a connection costs a policy decision over the few policies that can match.
 */
export class PortPolicy {
  static readonly PUBLIC = new PortPolicy(null, [], undefined);

  private constructor(
    private readonly resourceId: string | null,
    private readonly policies: readonly PolicyRule[],
    private readonly countries: CountryLookup | undefined,
  ) {}

  static of(
    resource: RoutedResource,
    policies: readonly PolicyRule[],
    countries?: CountryLookup,
  ): PortPolicy {
    if (!resource.authRequired) return PortPolicy.PUBLIC;
    return new PortPolicy(resource.id, publicPortPolicies(policies, resource.id), countries);
  }

  /** Whether the port is open to someone at all (false: closed to every source). */
  get opensToSomeone(): boolean {
    return this.resourceId === null || this.policies.some((p) => p.effect === 'allow');
  }

  get isPublic(): boolean {
    return this.resourceId === null;
  }

  /** Null when a connection from `ip` is admitted; otherwise why not. */
  refusal(ip: string): string | null {
    if (this.resourceId === null) return null;
    if (this.policies.length === 0) return 'no policy opens this public port (auth_required)';
    const needsCountry = this.policies.some((p) => p.conditions.countries.length > 0);
    const country = needsCountry && this.countries ? this.countries.country(ip) : null;
    const decision = decidePublicPort(this.policies, this.resourceId, ip, country, new Date());
    return decision.allowed ? null : decision.reason;
  }
}
