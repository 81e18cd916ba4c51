import type { Answer, paths } from '@rustronaut/api-client';
import { listOf } from '../ui/list';

type Resource = Answer<'/api/v1/resources/{id}', 'get'>;
export type ResourceBody = NonNullable<
  paths['/api/v1/resources']['post']['requestBody']
>['content']['application/json'];
type TargetBody = NonNullable<ResourceBody['targets']>[number];

/** One target as the form edits it (text fields; numbers parsed when sent). */
export interface TargetForm {
  address: string;
  protocol: 'http' | 'https' | 'tcp' | 'udp';
  weight: string;
  region: string;
  health: 'none' | 'http' | 'tcp';
  healthPath: string;
}

export interface FirewallRuleForm {
  action: 'allow' | 'deny';
  cidrs: string;
  countries: string;
  paths: string;
  /** One `Header-Name: pattern` a line. */
  headers: string;
  /** One User-Agent substring (or `/regex/`) a line. */
  userAgents: string;
}

/** The resource form's state: what a person types, before it is a request body. */
export interface ResourceForm {
  siteId: string;
  name: string;
  protocol: 'http' | 'tcp' | 'udp';
  domains: string;
  publicPort: string;
  pathPrefix: string;
  authRequired: boolean;
  authMethods: ('sso' | 'pin' | 'password' | 'share_link')[];
  loadBalancing: 'round_robin' | 'weighted' | 'least_connections' | 'region_aware';
  botChallenge: boolean;
  rateLimit: { enabled: boolean; requestsPerMinute: string; burst: string; per: 'ip' | 'user' | 'resource' };
  firewallRules: FirewallRuleForm[];
  targets: TargetForm[];
}

export const newTarget = (protocol: ResourceForm['protocol']): TargetForm => ({
  address: '',
  protocol: protocol === 'http' ? 'http' : protocol,
  weight: '1',
  region: '',
  health: 'none',
  healthPath: '/',
});

export const newFirewallRule = (): FirewallRuleForm => ({
  action: 'deny',
  cidrs: '',
  countries: '',
  paths: '',
  headers: '',
  userAgents: '',
});

/** Lines of text → trimmed, non-empty lines (a pattern may hold commas). */
const linesOf = (text: string): string[] =>
  text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

/** `Name: pattern` lines → header rules (the pattern is what follows the first colon). */
export function headerRulesOf(text: string): { name: string; pattern: string }[] {
  return linesOf(text).map((line) => {
    const colon = line.indexOf(':');
    return colon === -1
      ? { name: line, pattern: '' }
      : { name: line.slice(0, colon).trim(), pattern: line.slice(colon + 1).trim() };
  });
}

/** A number field: its number, or the text itself so the API names the field as not a number. */
const numberOf = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

export function resourceForm(resource?: Resource, siteId = ''): ResourceForm {
  return {
    siteId: resource?.site_id ?? siteId,
    name: resource?.name ?? '',
    protocol: resource?.protocol ?? 'http',
    domains: (resource?.domains ?? []).join(', '),
    publicPort: resource?.public_port ? String(resource.public_port) : '',
    pathPrefix: resource?.path_prefix ?? '',
    authRequired: resource?.auth_required ?? true,
    authMethods: resource?.auth_methods ?? ['sso'],
    loadBalancing: resource?.load_balancing ?? 'round_robin',
    botChallenge: resource?.bot_challenge ?? false,
    rateLimit: resource?.rate_limit
      ? {
          enabled: true,
          requestsPerMinute: String(resource.rate_limit.requests_per_minute),
          burst: String(resource.rate_limit.burst),
          per: resource.rate_limit.per ?? 'ip',
        }
      : { enabled: false, requestsPerMinute: '600', burst: '100', per: 'ip' },
    firewallRules: (resource?.firewall_rules ?? []).map((r) => ({
      action: r.action,
      cidrs: (r.cidrs ?? []).join(', '),
      countries: (r.countries ?? []).join(', '),
      paths: (r.paths ?? []).join(', '),
      headers: (r.headers ?? []).map((h) => `${h.name}: ${h.pattern}`).join('\n'),
      userAgents: (r.user_agents ?? []).join('\n'),
    })),
    targets: (resource?.targets ?? []).map((t) => targetForm(t)),
  };
}

export function targetForm(t: {
  address: string;
  protocol: TargetForm['protocol'];
  weight?: number;
  region?: string | null;
  health_check?: { kind: 'http' | 'tcp'; path?: string } | null;
}): TargetForm {
  return {
    address: t.address,
    protocol: t.protocol,
    weight: String(t.weight ?? 1),
    region: t.region ?? '',
    health: t.health_check?.kind ?? 'none',
    healthPath: t.health_check?.path ?? '/',
  };
}

export function targetBody(t: TargetForm): TargetBody {
  return {
    address: t.address.trim(),
    protocol: t.protocol,
    weight: numberOf(t.weight),
    region: t.region.trim() || null,
    health_check:
      t.health === 'none'
        ? null
        : { kind: t.health, ...(t.health === 'http' ? { path: t.healthPath || '/' } : {}) },
  };
}

/**
 * The body of POST /resources from the form: only what the protocol uses (an HTTP resource has
 * domains, a TCP/UDP one a public port), lists split on commas and newlines, empty text as null.
 */
export function resourceBody(form: ResourceForm): ResourceBody {
  const http = form.protocol === 'http';
  return {
    site_id: form.siteId,
    name: form.name.trim(),
    protocol: form.protocol,
    domains: http ? listOf(form.domains) : [],
    public_port: http || !form.publicPort.trim() ? null : numberOf(form.publicPort),
    path_prefix: http && form.pathPrefix.trim() ? form.pathPrefix.trim() : null,
    auth_required: form.authRequired,
    auth_methods: form.authMethods,
    load_balancing: form.loadBalancing,
    bot_challenge: http && form.botChallenge,
    rate_limit: form.rateLimit.enabled
      ? {
          requests_per_minute: numberOf(form.rateLimit.requestsPerMinute),
          burst: numberOf(form.rateLimit.burst),
          per: form.rateLimit.per,
        }
      : null,
    firewall_rules: form.firewallRules.map((r) => ({
      action: r.action,
      cidrs: listOf(r.cidrs),
      countries: listOf(r.countries).map((c) => c.toUpperCase()),
      paths: listOf(r.paths),
      headers: headerRulesOf(r.headers),
      user_agents: linesOf(r.userAgents),
    })),
    targets: form.targets.map(targetBody),
  };
}

/** The PATCH body of an existing resource: the same fields, without those fixed at creation. */
export function resourcePatch(form: ResourceForm) {
  const { site_id: _site, protocol: _protocol, targets: _targets, ...changes } = resourceBody(form);
  return changes;
}
