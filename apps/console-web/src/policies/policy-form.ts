import type { Answer, paths } from '@rustronaut/api-client';
import { listOf } from '../ui/list';

type Policy = Answer<'/api/v1/policies/{id}', 'get'>;
export type PolicyBody = NonNullable<
  paths['/api/v1/policies']['post']['requestBody']
>['content']['application/json'];

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];
export type Role = 'owner' | 'admin' | 'member';

export interface TokenSubjectForm {
  issuerId: string;
  subs: string;
}

export const newTokenSubject = (issuerId = ''): TokenSubjectForm => ({ issuerId, subs: '' });

export interface TimeWindowForm {
  days: Day[];
  start: string;
  end: string;
  timeZone: string;
}

/** The structured policy editor's state: who, what, when — never raw JSON. */
export interface PolicyForm {
  name: string;
  effect: 'allow' | 'deny';
  /** Empty: every resource of the organisation. */
  resourceIds: string[];
  users: string[];
  groups: string[];
  roles: Role[];
  anyAuthenticated: boolean;
  /**
   * Callers with a trusted issuer's token: the issuer, and the tokens' subjects (comma-separated;
   * none: any token of that issuer). Saving keeps those of a stored policy (a policy left naming
   * nobody would apply to everyone).
   */
  tokens: TokenSubjectForm[];
  sourceCidrs: string;
  countries: string;
  paths: string;
  methods: string[];
  timeWindows: TimeWindowForm[];
}

export const newTimeWindow = (): TimeWindowForm => ({
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '08:00',
  end: '18:00',
  timeZone: 'UTC',
});

export function policyForm(policy?: Policy): PolicyForm {
  return {
    name: policy?.name ?? '',
    effect: policy?.effect ?? 'allow',
    resourceIds: policy?.resource_ids ?? [],
    users: policy?.subjects.users ?? [],
    groups: policy?.subjects.groups ?? [],
    roles: policy?.subjects.roles ?? [],
    anyAuthenticated: policy?.subjects.any_authenticated ?? false,
    tokens: (policy?.subjects.tokens ?? []).map((t) => ({
      issuerId: t.issuer_id,
      subs: (t.subs ?? []).join(', '),
    })),
    sourceCidrs: (policy?.conditions.source_cidrs ?? []).join(', '),
    countries: (policy?.conditions.countries ?? []).join(', '),
    paths: (policy?.conditions.paths ?? []).join(', '),
    methods: policy?.conditions.methods ?? [],
    timeWindows: (policy?.conditions.time_windows ?? []).map((w) => ({
      days: w.days,
      start: w.start,
      end: w.end,
      timeZone: w.time_zone ?? 'UTC',
    })),
  };
}

/** The body the API takes: lists split on commas and newlines, countries and methods upper-case. */
export function policyBody(form: PolicyForm): PolicyBody {
  return {
    name: form.name.trim(),
    effect: form.effect,
    resource_ids: form.resourceIds,
    subjects: {
      users: form.users,
      groups: form.groups,
      roles: form.roles,
      any_authenticated: form.anyAuthenticated,
      ...(form.tokens.length ? { tokens: form.tokens.map(tokenSubjectBody) } : {}),
    },
    conditions: {
      source_cidrs: listOf(form.sourceCidrs),
      countries: listOf(form.countries).map((c) => c.toUpperCase()),
      paths: listOf(form.paths),
      methods: form.methods.map((m) => m.toUpperCase()),
      time_windows: form.timeWindows.map((w) => ({
        days: w.days,
        start: w.start,
        end: w.end,
        time_zone: w.timeZone,
      })),
    },
  };
}

/** A token subject as the API takes it: no `subs` when none are named (any token of the issuer). */
function tokenSubjectBody(t: TokenSubjectForm): { issuer_id: string; subs?: string[] } {
  const subs = listOf(t.subs);
  return { issuer_id: t.issuerId, ...(subs.length ? { subs } : {}) };
}

/**
 * The policy in one sentence, as the editor shows it while you type: "Allow the group
 * Engineers to reach App from 10.0.0.0/8". Names come from `names` (ids when unknown).
 */
export function describePolicy(form: PolicyForm, names: (id: string) => string = (id) => id): string {
  const who: string[] = [];
  if (form.anyAuthenticated) who.push('anyone signed in');
  if (form.users.length)
    who.push(`${form.users.length === 1 ? 'the user' : 'the users'} ${form.users.map(names).join(', ')}`);
  if (form.groups.length)
    who.push(`${form.groups.length === 1 ? 'the group' : 'the groups'} ${form.groups.map(names).join(', ')}`);
  if (form.roles.length) who.push(`every ${form.roles.join(' or ')}`);
  for (const t of form.tokens) {
    const subs = listOf(t.subs);
    who.push(
      `${subs.length ? subs.join(', ') : 'any caller'} with a token of the issuer ${t.issuerId ? names(t.issuerId) : '(not chosen)'}`,
    );
  }
  const subjects = who.length ? who.join(' and ') : 'everyone';
  const what = form.resourceIds.length ? form.resourceIds.map(names).join(', ') : 'every resource';
  const conditions: string[] = [];
  const cidrs = listOf(form.sourceCidrs);
  if (cidrs.length) conditions.push(`from ${cidrs.join(', ')}`);
  const countries = listOf(form.countries);
  if (countries.length) conditions.push(`in ${countries.map((c) => c.toUpperCase()).join(', ')}`);
  const pathList = listOf(form.paths);
  if (pathList.length) conditions.push(`under ${pathList.join(', ')}`);
  if (form.methods.length) conditions.push(`with ${form.methods.join(', ')}`);
  for (const w of form.timeWindows)
    conditions.push(`on ${w.days.join(', ')} ${w.start}–${w.end} ${w.timeZone}`);
  const verb = form.effect === 'allow' ? 'Allow' : 'Deny';
  return `${verb} ${subjects} ${form.effect === 'allow' ? 'to reach' : 'access to'} ${what}${conditions.length ? ` ${conditions.join(', ')}` : ''}.`;
}
