import type { IncomingHttpHeaders } from 'node:http';
import { FirewallRuleSchema, ResourceDataSchema, type FirewallRule } from '@rustronaut/contracts';
import { createLogger } from '@rustronaut/observability';
import { canonicalPath } from '../../http/request-facts';
import { CompiledFirewall, compileFirewalls, type FirewallInput } from './firewall';

const rule = (r: Partial<FirewallRule> & { action: 'allow' | 'deny' }) => FirewallRuleSchema.parse(r);

function input(
  over: Partial<Omit<FirewallInput, 'country'>> & { country?: string | null } = {},
): FirewallInput {
  const headers: IncomingHttpHeaders | null =
    over.headers === undefined ? { 'user-agent': 'Mozilla/5.0 Firefox/130' } : over.headers;
  return {
    ip: over.ip ?? '127.0.0.1',
    country: () => over.country ?? null,
    path: over.path === undefined ? '/' : over.path,
    headers,
  };
}

describe('firewall rules, compiled', () => {
  it('blocks on the first matching deny rule, caught on the canonical path whatever the spelling', () => {
    const fw = new CompiledFirewall([
      rule({ action: 'deny', cidrs: ['10.0.0.0/8'] }),
      rule({ action: 'deny', paths: ['/admin'] }),
    ]);
    for (const raw of ['/admin', '/%61dmin', '//admin', '/x/../admin', '/admin/users', '/./admin'])
      expect(fw.evaluate(input({ path: canonicalPath(raw) }))).toEqual({ blockedBy: 2 });
    expect(fw.evaluate(input({ path: canonicalPath('/administrator') }))).toBeUndefined();
    expect(fw.evaluate(input({ ip: '10.9.9.9', path: '/admin' }))).toEqual({ blockedBy: 1 });
  });

  it('with allow rules, a request must match one; a deny wins over a matching allow', () => {
    const fw = new CompiledFirewall([
      rule({ action: 'allow', cidrs: ['127.0.0.0/8'] }),
      rule({ action: 'deny', paths: ['/private/*'] }),
    ]);
    expect(fw.evaluate(input({ ip: '127.0.0.5' }))).toBeUndefined();
    expect(fw.evaluate(input({ ip: '192.0.2.1' }))).toBe('not-allowed');
    expect(fw.evaluate(input({ ip: '127.0.0.5', path: '/private/x' }))).toEqual({ blockedBy: 2 });
  });

  it('an unknown country matches no country list: deny-by-country does not block it, allow-by-country does not admit it', () => {
    const deny = new CompiledFirewall([rule({ action: 'deny', countries: ['US'] })]);
    expect(deny.evaluate(input({ country: 'US' }))).toEqual({ blockedBy: 1 });
    expect(deny.evaluate(input({ country: 'DE' }))).toBeUndefined();
    expect(deny.evaluate(input({ country: null }))).toBeUndefined();
    const allow = new CompiledFirewall([rule({ action: 'allow', countries: ['DE'] })]);
    expect(allow.evaluate(input({ country: 'DE' }))).toBeUndefined();
    expect(allow.evaluate(input({ country: null }))).toBe('not-allowed');
  });

  it('looks the country up only when a rule names countries, and at most once', () => {
    let lookups = 0;
    const fw = new CompiledFirewall([
      rule({ action: 'deny', countries: ['US'] }),
      rule({ action: 'deny', countries: ['CN'] }),
    ]);
    fw.evaluate({ ...input(), country: () => (lookups++, 'FR') });
    expect(lookups).toBe(1);
    const noCountry = new CompiledFirewall([rule({ action: 'deny', paths: ['/x'] })]);
    noCountry.evaluate({ ...input(), country: () => (lookups++, 'FR') });
    expect(lookups).toBe(1);
  });

  it('matches header patterns (case-insensitive, any of several values) and user agents (substring or /regex/)', () => {
    const fw = new CompiledFirewall([
      rule({ action: 'deny', headers: [{ name: 'X-Debug', pattern: '^(1|true)$' }] }),
      rule({ action: 'deny', userAgents: ['sqlmap', '/^python-requests\\/\\d/'] }),
    ]);
    expect(fw.evaluate(input({ headers: { 'x-debug': 'TRUE' } }))).toEqual({ blockedBy: 1 });
    expect(fw.evaluate(input({ headers: { 'x-debug': 'no' } }))).toBeUndefined();
    expect(fw.evaluate(input({ headers: {} }))).toBeUndefined();
    expect(fw.evaluate(input({ headers: { 'user-agent': 'Mozilla SQLMap/1.7' } }))).toEqual({ blockedBy: 2 });
    expect(fw.evaluate(input({ headers: { 'user-agent': 'python-requests/2.31' } }))).toEqual({
      blockedBy: 2,
    });
    expect(fw.evaluate(input({ headers: { 'user-agent': 'my python-requests/2' } }))).toBeUndefined();
  });

  it('on a TCP/UDP connection (no path, no headers) only address and country rules match', () => {
    const fw = new CompiledFirewall([
      rule({ action: 'deny', paths: ['/'] }),
      rule({ action: 'deny', userAgents: ['x'] }),
      rule({ action: 'allow', cidrs: ['127.0.0.2/32'] }),
    ]);
    expect(fw.evaluate(input({ ip: '127.0.0.2', path: null, headers: null }))).toBeUndefined();
    expect(fw.evaluate(input({ ip: '127.0.0.3', path: null, headers: null }))).toBe('not-allowed');
  });

  it('refuses an unsafe or invalid pattern in the schema, and a snapshot that holds one closes the resource instead of crashing', () => {
    expect(
      FirewallRuleSchema.safeParse({ action: 'deny', headers: [{ name: 'x', pattern: '(a+)+$' }] }).success,
    ).toBe(false);
    expect(
      FirewallRuleSchema.safeParse({ action: 'deny', headers: [{ name: 'x', pattern: '[' }] }).success,
    ).toBe(false);
    expect(FirewallRuleSchema.safeParse({ action: 'deny', userAgents: ['/(x*)*/'] }).success).toBe(false);
    expect(FirewallRuleSchema.safeParse({ action: 'deny', userAgents: ['(x*)*'] }).success).toBe(true); // a substring
    const compiled = compileFirewalls(
      [
        {
          id: 'res_bad',
          name: 'bad',
          firewallRules: [{ ...rule({ action: 'deny' }), headers: [{ name: 'x', pattern: '(' }] }],
        },
        { id: 'res_none', name: 'none', firewallRules: [] },
      ],
      createLogger('test', 'silent'),
    );
    expect(compiled.get('res_bad')).toEqual({ broken: expect.stringMatching(/rule 1: header x pattern/) });
    expect(compiled.has('res_none')).toBe(false);
  });

  it('gives a resource the new fields with their defaults', () => {
    const resource = ResourceDataSchema.parse({ siteId: 'sit_1', name: 'app', protocol: 'http' });
    expect(resource.botChallenge).toBe(false);
    expect(resource.maxBodyBytes).toBe(100 * 1024 * 1024);
  });
});
