import { describe, expect, it } from 'vitest';
import {
  describePolicy,
  newTimeWindow,
  newTokenSubject,
  policyBody,
  policyForm,
  type PolicyForm,
} from './policy-form';

const form = (changes: Partial<PolicyForm> = {}): PolicyForm => ({
  ...policyForm(),
  name: 'engineers',
  ...changes,
});

describe('the structured policy editor', () => {
  it('sends lists split on commas and newlines, countries and methods upper-case, time windows snake_case', () => {
    const sut = policyBody(
      form({
        groups: ['grp_1'],
        sourceCidrs: '10.0.0.0/8,\n 192.168.0.0/16 ,',
        countries: 'de, fr',
        paths: '/admin',
        methods: ['get'],
        timeWindows: [{ ...newTimeWindow(), timeZone: 'Europe/Berlin' }],
      }),
    );
    expect(sut).toEqual({
      name: 'engineers',
      effect: 'allow',
      resource_ids: [],
      subjects: { users: [], groups: ['grp_1'], roles: [], any_authenticated: false },
      conditions: {
        source_cidrs: ['10.0.0.0/8', '192.168.0.0/16'],
        countries: ['DE', 'FR'],
        paths: ['/admin'],
        methods: ['GET'],
        time_windows: [
          {
            days: ['mon', 'tue', 'wed', 'thu', 'fri'],
            start: '08:00',
            end: '18:00',
            time_zone: 'Europe/Berlin',
          },
        ],
      },
    });
  });

  it('reads a stored policy back into the same form (round trip)', () => {
    const original = form({
      effect: 'deny',
      users: ['usr_1'],
      roles: ['admin'],
      sourceCidrs: '10.0.0.0/8',
      countries: 'DE',
    });
    const stored = {
      id: 'pol_1',
      org_id: 'org_1',
      version: 3,
      created_at: '',
      updated_at: '',
      ...policyBody(original),
    };
    expect(policyForm(stored as never)).toEqual({ ...original, sourceCidrs: '10.0.0.0/8', countries: 'DE' });
  });

  it('says the policy in one sentence, with names', () => {
    const names = (id: string) => ({ grp_1: 'Engineers', res_1: 'App' })[id] ?? id;
    expect(
      describePolicy(form({ groups: ['grp_1'], resourceIds: ['res_1'], sourceCidrs: '10.0.0.0/8' }), names),
    ).toBe('Allow the group Engineers to reach App from 10.0.0.0/8.');
    expect(describePolicy(form({ effect: 'deny', countries: 'ru' }))).toBe(
      'Deny everyone access to every resource in RU.',
    );
    expect(describePolicy(form({ anyAuthenticated: true, methods: ['GET'] }))).toBe(
      'Allow anyone signed in to reach every resource with GET.',
    );
  });

  it('keeps the token subjects of a stored policy when it is saved again, and says them', () => {
    const tokens = [{ issuer_id: 'tis_1', subs: ['deploy-bot'] }];
    const stored = {
      id: 'pol_2',
      org_id: 'org_1',
      version: 1,
      created_at: '',
      updated_at: '',
      ...policyBody(form({ resourceIds: ['res_1'] })),
    };
    stored.subjects = { ...stored.subjects, tokens };
    const edited = { ...policyForm(stored as never), name: 'renamed' };
    // Dropping them would leave a policy naming nobody: one that applies to everyone.
    expect(policyBody(edited).subjects).toEqual({
      users: [],
      groups: [],
      roles: [],
      any_authenticated: false,
      tokens,
    });
    expect(describePolicy(edited, (id) => ({ tis_1: 'CI', res_1: 'App' })[id] ?? id)).toBe(
      'Allow deploy-bot with a token of the issuer CI to reach App.',
    );
  });

  it('sends the token subjects picked in the form: the issuer, and its subs only when some are named', () => {
    const edited = form({
      resourceIds: ['res_1'],
      tokens: [
        { issuerId: 'tis_1', subs: ' deploy-bot, backup ,' },
        { issuerId: 'tis_2', subs: '  ' },
      ],
    });
    expect(policyBody(edited).subjects.tokens).toEqual([
      { issuer_id: 'tis_1', subs: ['deploy-bot', 'backup'] },
      { issuer_id: 'tis_2' },
    ]);
    const names = (id: string) => ({ tis_1: 'CI', tis_2: 'Backups', res_1: 'App' })[id] ?? id;
    expect(describePolicy(edited, names)).toBe(
      'Allow deploy-bot, backup with a token of the issuer CI and any caller with a token of the issuer Backups to reach App.',
    );
    expect(describePolicy(form({ tokens: [newTokenSubject()] }), names)).toBe(
      'Allow any caller with a token of the issuer (not chosen) to reach every resource.',
    );
  });
});
