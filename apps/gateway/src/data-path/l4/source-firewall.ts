import type { Logger } from '@rustronaut/observability';
import { compileResourceFirewall, type CompiledFirewall } from '../admission/firewall/firewall';
import type { CountryLookup } from '../admission/firewall/geoip';
import type { RoutedResource } from '../model';

/**
 * A TCP/UDP resource's firewall rules as they apply to a connection or flow: the same compiled
 * rules as the HTTP firewall, given only what an L4 connection has (its source address and that
 * address's country). Deny wins; when there is an allow rule the source must match one; rules on
 * paths, headers or user agents never match here. Rules that cannot be compiled close the port's
 * resource rather than leave it open.
 */
export class SourceFirewall {
  static readonly OPEN = new SourceFirewall(undefined, undefined);
  static readonly CLOSED = new SourceFirewall(undefined, undefined, true);

  private constructor(
    private readonly rules: CompiledFirewall | undefined,
    private readonly countries: CountryLookup | undefined,
    private readonly closed = false,
  ) {}

  static of(resource: RoutedResource, countries: CountryLookup | undefined, logger: Logger): SourceFirewall {
    const compiled = compileResourceFirewall(resource, logger);
    if (!compiled) return SourceFirewall.OPEN;
    return 'broken' in compiled ? SourceFirewall.CLOSED : new SourceFirewall(compiled.firewall, countries);
  }

  admits(ip: string): boolean {
    if (this.closed) return false;
    if (!this.rules) return true;
    const countries = this.countries;
    return (
      this.rules.evaluate({
        ip,
        country: () => (countries ? countries.country(ip) : null),
        path: null,
        headers: null,
      }) === undefined
    );
  }
}
