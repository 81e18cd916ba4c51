import { ClaimMappingsSchema } from '@rustronaut/contracts';
import {
  checkSettings,
  decideAddProvider,
  decideChangeProvider,
  evolveIdentityProvider,
  type ProviderSettings,
} from './identity-providers';

const settings = (over: Partial<ProviderSettings> = {}): ProviderSettings => ({
  name: 'Corp',
  issuer: 'https://id.example.com/realms/corp',
  clientId: 'rustronaut',
  clientSecretSealed: 'v1.x.y',
  scopes: ['openid', 'email'],
  claimMappings: ClaimMappingsSchema.parse({ groups: { eng: ['grp_eng'] } }),
  jitProvisioning: true,
  requireSso: false,
  ...over,
});
const context = { groupIds: new Set(['grp_eng']) };

describe('identity provider decisions', () => {
  it('adds a provider with working settings', () => {
    expect(decideAddProvider(settings(), context)).toEqual([
      { type: 'IdentityProviderAdded', data: { type: 'oidc', ...settings() } },
    ]);
  });

  it.each([
    ['http://id.example.com', /https/],
    ['http://10.0.0.1:8080', /https/],
    ['ftp://id.example.com', /https/],
    ['https://id.example.com/?x=1', /query/],
    ['https://id.example.com/#f', /fragment/],
    ['https://user:pw@id.example.com', /user info/],
  ])('refuses the issuer %s', (issuer, message) => {
    expect(() => checkSettings(settings({ issuer }), context)).toThrow(message);
  });

  it('allows plain http on loopback only (development)', () => {
    for (const issuer of ['http://127.0.0.1:9000', 'http://localhost:9000/x', 'http://[::1]:9000'])
      expect(() => checkSettings(settings({ issuer }), context)).not.toThrow();
  });

  it('refuses scopes without openid and groups the organisation does not have', () => {
    expect(() => checkSettings(settings({ scopes: ['email'] }), context)).toThrow(/openid/);
    expect(() =>
      checkSettings(
        settings({ claimMappings: ClaimMappingsSchema.parse({ groups: { x: ['grp_gone'] } }) }),
        context,
      ),
    ).toThrow(/grp_gone/);
  });

  it('records only what changed', () => {
    const state = { orgId: 'org_a', ...settings(), removed: false };
    expect(decideChangeProvider(state, { name: 'Corp', scopes: ['openid', 'email'] }, context)).toEqual([]);
    expect(decideChangeProvider(state, { name: 'Corp 2', requireSso: true }, context)).toEqual([
      { type: 'IdentityProviderChanged', data: { name: 'Corp 2', requireSso: true } },
    ]);
    expect(() => decideChangeProvider(state, { issuer: 'http://evil.example' }, context)).toThrow(/https/);
  });

  it('folds a provider through its life', () => {
    const meta = {
      id: 'e',
      version: 1,
      aggregateType: 'identity_provider',
      aggregateId: 'idp_1',
      orgId: 'org_a',
      occurredAt: '',
      actor: { kind: 'system', id: 's' },
      commandId: 'c',
      trace: {},
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test events built by hand
    const ev = (type: string, data: object) => ({ ...meta, type, data }) as any;
    let state = evolveIdentityProvider(
      undefined,
      ev('IdentityProviderAdded', { type: 'oidc', ...settings() }),
    );
    state = evolveIdentityProvider(state, ev('IdentityProviderChanged', { name: 'New' }));
    expect(state).toMatchObject({ orgId: 'org_a', name: 'New', issuer: settings().issuer, removed: false });
    expect(evolveIdentityProvider(state, ev('IdentityProviderRemoved', {}))?.removed).toBe(true);
  });
});
