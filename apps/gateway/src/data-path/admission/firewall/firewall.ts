import type { IncomingHttpHeaders } from 'node:http';
import { patternProblem, userAgentPatternOf, type FirewallRule } from '@rustronaut/contracts/edge';
import { pathMatches } from '@rustronaut/policy-engine';
import type { Logger } from '@rustronaut/observability';
import { countryOf, type CountryLookup } from './geoip';
import { IpSet } from './ip-set';
import type { AdmissionStage, Refusal, RoutedResource } from '../../model';

/** Header values longer than this are matched on their start only (a pattern's work stays bounded). */
const MAX_MATCHED_VALUE = 8192;

/** What a rule is checked against. An L4 connection has only an address: no path, no headers. */
export interface FirewallInput {
  ip: string;
  /** Looked up only when a rule names countries. */
  country: () => string | null;
  /** The canonical path (request-facts canonicalPath); null on a TCP/UDP connection. */
  path: string | null;
  headers: IncomingHttpHeaders | null;
}

interface CompiledRule {
  /** 1-based, as an administrator counts them. */
  number: number;
  action: 'allow' | 'deny';
  ips: IpSet | null;
  countries: ReadonlySet<string> | null;
  paths: readonly string[] | null;
  headers: readonly { name: string; pattern: RegExp }[] | null;
  userAgents: readonly RegExp[] | null;
}

/** The outcome: the deny rule that matched, no allow rule matched, or let through. */
export type FirewallVerdict = { blockedBy: number } | 'not-allowed' | undefined;

/**
 * A resource's firewall rules, compiled once per snapshot. Semantics:
 * - a rule matches when every kind of condition it gives matches (any value within a kind); a rule
 *   with no condition matches every request;
 * - deny wins: the first matching deny rule (in order) blocks the request, whatever allows it;
 * - if the resource has any allow rule, a request must match one of them, else it is blocked;
 * - an unknown country (no GeoIP database, or an address it does not know) matches no country
 *   list: a deny-by-country rule does not block it and an allow-by-country rule does not admit it;
 * - on a TCP/UDP connection, rules with path, header or user-agent conditions never match.
 */
export class CompiledFirewall {
  readonly #rules: readonly CompiledRule[];
  readonly #hasAllow: boolean;
  readonly #needsCountry: boolean;

  constructor(rules: readonly FirewallRule[]) {
    this.#rules = rules.map(compileRule);
    this.#hasAllow = this.#rules.some((r) => r.action === 'allow');
    this.#needsCountry = this.#rules.some((r) => r.countries !== null);
  }

  get size(): number {
    return this.#rules.length;
  }

  get needsCountry(): boolean {
    return this.#needsCountry;
  }

  evaluate(input: FirewallInput): FirewallVerdict {
    const { ip, path, headers } = input;
    let allowed = false;
    let country: string | null | undefined;
    for (const rule of this.#rules) {
      if (rule.action === 'allow' && allowed) continue; // only a deny can change the outcome now
      if (rule.ips && !rule.ips.has(ip)) continue;
      if (rule.countries) {
        if (country === undefined) country = input.country();
        if (country === null || !rule.countries.has(country)) continue;
      }
      if (rule.paths && (path === null || !anyPathMatches(rule.paths, path))) continue;
      if (rule.headers && (headers === null || !anyHeaderMatches(rule.headers, headers))) continue;
      if (rule.userAgents && (headers === null || !anyAgentMatches(rule.userAgents, headers['user-agent'])))
        continue;
      if (rule.action === 'deny') return { blockedBy: rule.number };
      allowed = true;
    }
    return this.#hasAllow && !allowed ? 'not-allowed' : undefined;
  }
}

function compileRule(rule: FirewallRule, index: number): CompiledRule {
  const regex = (pattern: string, what: string) => {
    const problem = patternProblem(pattern);
    if (problem) throw new Error(`rule ${index + 1}: ${what} "${pattern}" ${problem}`);
    return new RegExp(pattern, 'i');
  };
  return {
    number: index + 1,
    action: rule.action,
    ips: rule.cidrs.length ? new IpSet(rule.cidrs) : null,
    countries: rule.countries.length ? new Set(rule.countries.map((c) => c.toUpperCase())) : null,
    paths: rule.paths.length ? rule.paths : null,
    headers: rule.headers.length
      ? rule.headers.map((h) => ({
          name: h.name.toLowerCase(),
          pattern: regex(h.pattern, `header ${h.name} pattern`),
        }))
      : null,
    userAgents: rule.userAgents.length
      ? rule.userAgents.map((entry) => {
          const pattern = userAgentPatternOf(entry);
          return pattern === undefined
            ? new RegExp(entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i')
            : regex(pattern, 'user agent pattern');
        })
      : null,
  };
}

function anyPathMatches(patterns: readonly string[], path: string): boolean {
  for (const pattern of patterns) if (pathMatches(pattern, path)) return true;
  return false;
}

/** A header condition holds when the header is present and (one of) its value(s) matches. */
function anyHeaderMatches(
  conditions: readonly { name: string; pattern: RegExp }[],
  headers: IncomingHttpHeaders,
): boolean {
  for (const { name, pattern } of conditions) {
    const value = headers[name];
    if (typeof value === 'string') {
      if (pattern.test(bounded(value))) return true;
    } else if (value !== undefined) for (const v of value) if (pattern.test(bounded(v))) return true;
  }
  return false;
}

function anyAgentMatches(patterns: readonly RegExp[], agent: string | undefined): boolean {
  if (agent === undefined) return false;
  for (const pattern of patterns) if (pattern.test(bounded(agent))) return true;
  return false;
}

const bounded = (value: string) =>
  value.length > MAX_MATCHED_VALUE ? value.slice(0, MAX_MATCHED_VALUE) : value;

/** A resource's firewall, or why it could not be compiled (then the resource is closed, not open). */
export type ResourceFirewall = { firewall: CompiledFirewall } | { broken: string };

type WithRules = { id: string; name: string; firewallRules?: readonly FirewallRule[] };

/**
 * One resource's rules compiled, for HTTP and TCP/UDP alike; undefined when it has none. Rules that
 * cannot be compiled (a pattern from before validation) are reported and close the resource.
 */
export function compileResourceFirewall(resource: WithRules, logger: Logger): ResourceFirewall | undefined {
  if (!resource.firewallRules?.length) return undefined;
  try {
    return { firewall: new CompiledFirewall(resource.firewallRules) };
  } catch (error) {
    const problem = (error as Error).message;
    logger.error(
      { resource: resource.id, problem },
      'firewall rules cannot be compiled; the resource is closed',
    );
    return { broken: problem };
  }
}

/** Compiles every resource's rules; resources without rules are simply absent (and cost nothing). */
export function compileFirewalls(
  resources: Iterable<WithRules>,
  logger: Logger,
): Map<string, ResourceFirewall> {
  const compiled = new Map<string, ResourceFirewall>();
  for (const resource of resources) {
    const firewall = compileResourceFirewall(resource, logger);
    if (firewall) compiled.set(resource.id, firewall);
  }
  return compiled;
}

/**
 * The L7 firewall as an admission stage, before authentication: synchronous, and a single map
 * lookup for a resource without rules.
 */
export class FirewallStage {
  #compiled = new Map<string, ResourceFirewall>();

  constructor(
    private readonly countries: CountryLookup,
    private readonly logger: Logger,
  ) {}

  update(resources: Iterable<RoutedResource>): void {
    this.#compiled = compileFirewalls(resources, this.logger);
  }

  readonly stage: AdmissionStage = (admission) => {
    const entry = this.#compiled.get(admission.resource.id);
    if (entry === undefined) return undefined;
    if ('broken' in entry)
      return {
        status: 503,
        message: `The firewall of ${admission.resource.name} has a rule the gateway cannot use (${entry.broken}); the resource is closed until it is fixed.`,
        by: 'firewall',
      };
    const verdict = entry.firewall.evaluate({
      ip: admission.facts.ip,
      country: () => countryOf(admission, this.countries),
      path: admission.facts.path,
      headers: admission.req.headers,
    });
    return verdict === undefined ? undefined : refusalOf(verdict, admission.resource.name);
  };
}

function refusalOf(verdict: NonNullable<FirewallVerdict>, resourceName: string): Refusal {
  return verdict === 'not-allowed'
    ? {
        status: 403,
        message: `Blocked by the firewall of ${resourceName}: no allow rule matches this request.`,
        by: 'firewall',
      }
    : {
        status: 403,
        message: `Blocked by firewall rule ${verdict.blockedBy} of ${resourceName}.`,
        by: 'firewall',
      };
}
