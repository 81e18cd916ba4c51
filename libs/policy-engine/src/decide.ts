import { ipInCidr, type PolicyData, type Role } from '@rustronaut/contracts/edge';

export interface PolicyRule extends PolicyData {
  id: string;
}

/** Everything a decision looks at; the gateway fills it from the request, simulate from its input. */
export interface AccessRequest {
  /**
   * The authenticated user, or null for an anonymous request. With `issuerId`, a caller holding a
   * token of that trusted issuer, `id` being its `sub`: only policies naming the issuer match it.
   */
  user: { id: string; role: Role; groups: readonly string[]; issuerId?: string | undefined } | null;
  ip: string;
  /** ISO 3166 code from the GeoIP database, or null when unknown. */
  country: string | null;
  path: string;
  method: string;
  at: Date;
}

export interface Decision {
  allowed: boolean;
  /** The rule that decided, or null when no rule matched (then access is denied). */
  decidedBy: { policyId: string; name: string; effect: 'allow' | 'deny' } | null;
  reason: string;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * May this request reach this resource? Every policy that governs the resource and matches the
 * request is considered: a matching deny wins over any allow; with no matching allow the answer
 * is no. Ties are broken by policy id, so the same inputs always name the same rule.
 */
export function decide(
  policies: readonly PolicyRule[],
  resourceId: string,
  request: AccessRequest,
): Decision {
  const matching = policies
    .filter((p) => p.resourceIds.length === 0 || p.resourceIds.includes(resourceId))
    .filter((p) => subjectsMatch(p, request) && conditionsMatch(p, request))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const deny = matching.find((p) => p.effect === 'deny');
  if (deny) return { allowed: false, decidedBy: ruleOf(deny), reason: `denied by policy "${deny.name}"` };
  const allow = matching.find((p) => p.effect === 'allow');
  if (allow) return { allowed: true, decidedBy: ruleOf(allow), reason: `allowed by policy "${allow.name}"` };
  return { allowed: false, decidedBy: null, reason: 'no policy allows this request' };
}

const ruleOf = (p: PolicyRule) => ({ policyId: p.id, name: p.name, effect: p.effect });

/**
 * A policy naming nobody (no users, groups, roles, token issuers, and not "any authenticated user")
 * applies to everyone, anonymous requests included: that is how a deny-by-country or a public allow
 * is said. A caller with an issuer's token is matched by the policy's token subjects alone.
 */
function subjectsMatch({ subjects }: PolicyRule, { user }: AccessRequest): boolean {
  // (`tokens` is absent from policies of snapshots that predate trusted issuers.)
  const tokens = subjects.tokens ?? [];
  const namesNobody =
    subjects.users.length === 0 &&
    subjects.groups.length === 0 &&
    subjects.roles.length === 0 &&
    tokens.length === 0 &&
    !subjects.anyAuthenticated;
  if (namesNobody) return true;
  if (!user) return false;
  if (user.issuerId !== undefined)
    return tokens.some(
      (t) => t.issuerId === user.issuerId && (t.subs.length === 0 || t.subs.includes(user.id)),
    );
  return (
    subjects.anyAuthenticated ||
    subjects.users.includes(user.id) ||
    subjects.roles.includes(user.role) ||
    subjects.groups.some((g) => user.groups.includes(g))
  );
}

/** Every kind of condition given must hold (any value of its list); an empty list holds always. */
function conditionsMatch({ conditions: c }: PolicyRule, request: AccessRequest): boolean {
  if (c.sourceCidrs.length && !c.sourceCidrs.some((cidr) => ipInCidr(request.ip, cidr))) return false;
  if (c.countries.length && (!request.country || !c.countries.includes(request.country))) return false;
  if (c.paths.length && !c.paths.some((p) => pathMatches(p, request.path))) return false;
  if (c.methods.length && !c.methods.includes(request.method.toUpperCase())) return false;
  if (c.timeWindows.length && !c.timeWindows.some((w) => inWindow(w, request.at))) return false;
  return true;
}

/** `/admin` matches `/admin` and `/admin/…`; `/api/*` matches anything under `/api/`. */
export function pathMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return path === pattern || path.startsWith(pattern.endsWith('/') ? pattern : `${pattern}/`);
}

function inWindow(
  window: { days: readonly string[]; start: string; end: string; timeZone: string },
  at: Date,
): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: window.timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3);
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const [start, end] = [toMinutes(window.start), toMinutes(window.end)];
  if (!DAYS.includes(day as (typeof DAYS)[number]) || !window.days.includes(day)) return false;
  return start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}
