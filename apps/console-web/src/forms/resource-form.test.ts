import { describe, expect, it } from 'vitest';
import { newFirewallRule, resourceBody, resourceForm } from './resource-form';

describe('the resource form’s firewall rules', () => {
  it('sends header rules from `Name: pattern` lines and user agents one a line (a pattern may hold commas and colons)', () => {
    const form = {
      ...resourceForm(undefined, 'sit_1'),
      name: 'app',
      firewallRules: [
        {
          ...newFirewallRule(),
          headers: 'X-Api-Client: ^internal-\n\n  X-Time : ^\\d{1,2}:\\d{2}$ ',
          userAgents: 'curl\n/bot|spider{1,3}/\n',
        },
      ],
    };
    expect(resourceBody(form).firewall_rules).toEqual([
      {
        action: 'deny',
        cidrs: [],
        countries: [],
        paths: [],
        headers: [
          { name: 'X-Api-Client', pattern: '^internal-' },
          { name: 'X-Time', pattern: '^\\d{1,2}:\\d{2}$' },
        ],
        user_agents: ['curl', '/bot|spider{1,3}/'],
      },
    ]);
  });

  it('shows a stored rule’s headers and user agents back in the same lines', () => {
    const form = resourceForm({
      firewall_rules: [
        {
          action: 'allow',
          cidrs: [],
          countries: [],
          paths: [],
          headers: [{ name: 'X-Api-Client', pattern: '^internal-' }],
          user_agents: ['curl', 'wget'],
        },
      ],
    } as unknown as Parameters<typeof resourceForm>[0]);
    expect(form.firewallRules[0]).toMatchObject({
      headers: 'X-Api-Client: ^internal-',
      userAgents: 'curl\nwget',
    });
    expect(resourceBody(form).firewall_rules).toMatchObject([
      { headers: [{ name: 'X-Api-Client', pattern: '^internal-' }], user_agents: ['curl', 'wget'] },
    ]);
  });
});
