import { randomBytes } from 'node:crypto';
import { issuerKeyBinding, openSecret, sealSecret } from '@rustronaut/contracts';
import { decide } from '@rustronaut/policy-engine';
import { ev } from './fold-events.fixture';
import { SiteConfigFold, TOKEN_SUBJECTS_GUARD } from './site-config-fold';

describe('SiteConfigFold', () => {
  it("builds a site's snapshot from its resources, governing policies and named groups", () => {
    const sut = new SiteConfigFold();
    expect(
      sut.apply(
        ev('SiteCreated', 'st_a', {
          name: 'A',
          subnet: '10.1.0.0/24',
          region: 'eu',
          connectionType: 'local',
        }),
        1,
      ),
    ).toEqual(['st_a']);
    sut.apply(
      ev('SiteCreated', 'st_b', { name: 'B', subnet: '10.2.0.0/24', region: 'eu', connectionType: 'local' }),
      2,
    );
    expect(
      sut.apply(
        ev('ResourceCreated', 'res_1', {
          siteId: 'st_a',
          name: 'app',
          protocol: 'http',
          domains: ['app.example.com'],
        }),
        3,
      ),
    ).toEqual(['st_a']);
    expect(
      sut.apply(
        ev('ResourceTargetAdded', 'res_1', { targetId: 'tgt_1', address: '10.1.0.5:80', protocol: 'http' }),
        4,
      ),
    ).toEqual(['st_a']);
    sut.apply(ev('GroupCreated', 'grp_1', { name: 'eng' }), 5);
    sut.apply(ev('GroupMemberAdded', 'grp_1', { userId: 'usr_1' }), 6);
    sut.apply(
      ev('PolicyCreated', 'pol_1', {
        name: 'eng',
        effect: 'allow',
        resourceIds: ['res_1'],
        subjects: { groups: ['grp_1'] },
      }),
      7,
    );
    sut.apply(
      ev(
        'SiteCreated',
        'st_x',
        { name: 'X', subnet: '10.1.0.0/24', region: 'eu', connectionType: 'local' },
        'org_b',
      ),
      8,
    );
    sut.apply(
      ev(
        'PolicyCreated',
        'pol_2',
        { name: 'other org', effect: 'allow', subjects: { anyAuthenticated: true } },
        'org_b',
      ),
      9,
    );

    const a = sut.snapshot('st_a', new Date(0))!;
    expect(a.revision).toBe(7);
    expect(a.resources).toEqual([
      expect.objectContaining({
        id: 'res_1',
        targets: [expect.objectContaining({ id: 'tgt_1', address: '10.1.0.5:80' })],
      }),
    ]);
    expect(a.policies.map((p) => p.id)).toEqual(['pol_1']);
    expect(a.groups).toEqual({ grp_1: ['usr_1'] });
    expect(sut.snapshot('st_b', new Date(0))!.policies).toEqual([]); // pol_1 names only res_1, on site A
    expect(sut.snapshot('st_x', new Date(0))!.revision).toBe(9);
  });

  it('drops a deleted site and carries the newest signing keys to every site', () => {
    const sut = new SiteConfigFold();
    sut.apply(
      ev('SiteCreated', 'st_a', { name: 'A', subnet: '10.1.0.0/24', region: 'eu', connectionType: 'local' }),
      1,
    );
    expect(
      sut.apply(ev('SigningKeyRotated', 'sk_1', { kid: 'sk_1', publicJwk: { kid: 'sk_1' } }), 2),
    ).toEqual(['st_a']);
    expect(sut.snapshot('st_a', new Date(0))!.jwks).toEqual([{ kid: 'sk_1' }]);
    sut.apply(ev('SiteDeleted', 'st_a', {}), 3);
    expect(sut.snapshot('st_a', new Date(0))).toBeUndefined();
  });

  it("pushes the organisation's revoked sessions to its sites until the sessions would have ended", () => {
    const sut = new SiteConfigFold();
    const site = { name: 'A', subnet: '10.1.0.0/24', region: 'eu', connectionType: 'local' };
    sut.apply(ev('SiteCreated', 'st_a', site), 1);
    sut.apply(ev('SiteCreated', 'st_b', { ...site, subnet: '10.2.0.0/24' }, 'org_b'), 2);
    const started = (expiresAt: string) => ({
      userId: 'usr_1',
      refreshHash: 'h',
      expiresAt,
      ip: null,
      userAgent: null,
    });
    expect(sut.apply(ev('SessionStarted', 'ses_1', started('2026-12-01T00:00:00.000Z')), 3)).toEqual([]);
    sut.apply(ev('SessionStarted', 'ses_2', started('2026-12-01T00:00:00.000Z')), 4);
    expect(sut.apply(ev('SessionRevoked', 'ses_1', { reason: 'logout' }), 5)).toEqual(['st_a']);
    const at = new Date('2026-11-25T00:00:00.000Z');
    expect(sut.snapshot('st_a', at)?.revokedSessions).toEqual(['ses_1']);
    expect(sut.snapshot('st_a', at)?.revision).toBe(5);
    expect(sut.snapshot('st_b', at)?.revokedSessions).toEqual([]);
    // A revoked API key ends the access tokens exchanged for it (its id is their session).
    expect(sut.apply(ev('ApiKeyRevoked', 'key_1', {}), 6)).toEqual(['st_a']);
    const soon = new Date('2026-11-24T00:30:00.000Z'); // the key was revoked at 00:00
    expect(sut.snapshot('st_a', soon)?.revokedSessions).toEqual(['key_1', 'ses_1']);
    expect(sut.snapshot('st_a', new Date('2026-11-24T01:30:00.000Z'))?.revokedSessions).toEqual(['ses_1']);
    // Once the session would have expired anyway, nothing of it can be live: it is dropped.
    expect(sut.snapshot('st_a', new Date('2026-12-02T00:00:00.000Z'))?.revokedSessions).toEqual([]);
  });

  it("carries a resource's PIN hash and live share links (only their SHA-256), not revoked or expired ones", () => {
    const sut = new SiteConfigFold();
    sut.apply(
      ev('SiteCreated', 'st_a', { name: 'A', subnet: '10.1.0.0/24', region: 'eu', connectionType: 'local' }),
      1,
    );
    sut.apply(
      ev('ResourceCreated', 'res_1', {
        siteId: 'st_a',
        name: 'kiosk',
        protocol: 'http',
        domains: ['kiosk.example.com'],
        authMethods: ['pin', 'share_link'],
      }),
      2,
    );
    expect(sut.snapshot('st_a', new Date('2026-11-25T00:00:00.000Z'))?.resources[0]?.access).toBeUndefined();
    expect(sut.apply(ev('ResourceAccessSecretSet', 'res_1', { method: 'pin', hash: 'scrypt$h' }), 3)).toEqual(
      ['st_a'],
    );
    const link = (linkId: string, expiresAt: string) =>
      ev('ResourceShareLinkCreated', 'res_1', { linkId, tokenSha256: `sha-${linkId}`, expiresAt });
    sut.apply(link('lnk_live', '2026-12-01T00:00:00.000Z'), 4);
    sut.apply(link('lnk_gone', '2026-12-01T00:00:00.000Z'), 5);
    sut.apply(link('lnk_old', '2026-11-24T12:00:00.000Z'), 6);
    sut.apply(ev('ResourceShareLinkRevoked', 'res_1', { linkId: 'lnk_gone' }), 7);
    expect(sut.snapshot('st_a', new Date('2026-11-25T00:00:00.000Z'))?.resources[0]?.access).toEqual({
      pinHash: 'scrypt$h',
      shareLinks: [{ id: 'lnk_live', tokenSha256: 'sha-lnk_live', expiresAt: '2026-12-01T00:00:00.000Z' }],
    });
    sut.apply(ev('ResourceAccessSecretSet', 'res_1', { method: 'pin', hash: null }), 8);
    expect(
      sut.snapshot('st_a', new Date('2026-11-25T00:00:00.000Z'))?.resources[0]?.access?.pinHash,
    ).toBeUndefined();
  });

  it("carries a site's WireGuard devices with their owner's role, and drops revoked ones and deleted owners' at once", () => {
    const sut = new SiteConfigFold();
    const key = (c: string) => `${c.repeat(42)}A=`;
    sut.apply(
      ev('SiteCreated', 'st_v', {
        name: 'V',
        subnet: '10.8.0.0/24',
        region: 'eu',
        connectionType: 'wireguard',
      }),
      1,
    );
    sut.apply(
      ev('UserRegistered', 'usr_d', { email: 'd@example.com', name: 'D', role: 'member', passwordHash: 'x' }),
      2,
    );
    expect(
      sut.apply(
        ev('DeviceRegistered', 'dev_1', {
          siteId: 'st_v',
          userId: 'usr_d',
          name: 'laptop',
          publicKey: key('A'),
          address: '10.8.0.2',
        }),
        3,
      ),
    ).toEqual(['st_v']);
    sut.apply(
      ev('DeviceRegistered', 'dev_2', {
        siteId: 'st_v',
        userId: 'usr_d',
        name: 'phone',
        publicKey: key('B'),
        address: '10.8.0.3',
      }),
      4,
    );
    const at = new Date('2026-11-24T00:00:00Z');
    expect(sut.snapshot('st_v', at)?.devices).toEqual([
      {
        id: 'dev_1',
        name: 'laptop',
        publicKey: key('A'),
        address: '10.8.0.2',
        userId: 'usr_d',
        role: 'member',
      },
      {
        id: 'dev_2',
        name: 'phone',
        publicKey: key('B'),
        address: '10.8.0.3',
        userId: 'usr_d',
        role: 'member',
      },
    ]);
    expect(sut.apply(ev('UserRoleChanged', 'usr_d', { role: 'admin' }), 5)).toEqual(['st_v']);
    expect(sut.apply(ev('DeviceRevoked', 'dev_1', {}), 6)).toEqual(['st_v']);
    expect(sut.snapshot('st_v', at)?.devices).toEqual([
      {
        id: 'dev_2',
        name: 'phone',
        publicKey: key('B'),
        address: '10.8.0.3',
        userId: 'usr_d',
        role: 'admin',
      },
    ]);
    expect(sut.apply(ev('UserDeleted', 'usr_d', {}), 7)).toEqual(['st_v']);
    expect(sut.snapshot('st_v', at)?.devices).toEqual([]);
    expect(sut.snapshot('st_v', at)?.revision).toBe(7);
  });

  it("drops a disabled user's devices and refuses their API keys' tokens until they are enabled again", () => {
    const sut = new SiteConfigFold();
    const key = (c: string) => `${c.repeat(42)}A=`;
    const at = new Date('2026-11-24T00:30:00Z');
    sut.apply(
      ev('SiteCreated', 'st_v', {
        name: 'V',
        subnet: '10.8.0.0/24',
        region: 'eu',
        connectionType: 'wireguard',
      }),
      1,
    );
    sut.apply(
      ev('UserRegistered', 'usr_d', { email: 'd@example.com', name: 'D', role: 'member', passwordHash: 'x' }),
      2,
    );
    sut.apply(
      ev('DeviceRegistered', 'dev_1', {
        siteId: 'st_v',
        userId: 'usr_d',
        name: 'laptop',
        publicKey: key('A'),
        address: '10.8.0.2',
      }),
      3,
    );
    sut.apply(
      ev('ApiKeyCreated', 'key_d', {
        name: 'ci',
        role: 'member',
        ownerUserId: 'usr_d',
        secretHash: 'h',
        expiresAt: null,
      }),
      4,
    );
    sut.apply(
      ev('ApiKeyCreated', 'key_gone', {
        name: 'old',
        role: 'member',
        ownerUserId: 'usr_d',
        secretHash: 'h',
        expiresAt: null,
      }),
      5,
    );
    sut.apply(ev('ApiKeyRevoked', 'key_gone', {}), 6);
    const laptop = {
      id: 'dev_1',
      name: 'laptop',
      publicKey: key('A'),
      address: '10.8.0.2',
      userId: 'usr_d',
      role: 'member',
    };
    expect(sut.snapshot('st_v', at)?.devices).toEqual([laptop]);

    expect(sut.apply(ev('UserDisabled', 'usr_d', {}), 7)).toEqual(['st_v']);
    expect(sut.snapshot('st_v', at)).toMatchObject({
      devices: [],
      revokedSessions: ['key_d', 'key_gone'],
      revision: 7,
    });

    expect(sut.apply(ev('UserEnabled', 'usr_d', {}), 8)).toEqual(['st_v']);
    expect(sut.snapshot('st_v', at)).toMatchObject({
      devices: [laptop],
      revokedSessions: ['key_gone'],
      revision: 8,
    });
  });

  it("carries a resource's trusted issuers with their HMAC keys opened, and none that does not open", () => {
    const secretsKey = randomBytes(32);
    const k = randomBytes(32).toString('base64url');
    const sut = new SiteConfigFold();
    sut.apply(
      ev('SiteCreated', 'st_a', { name: 'A', subnet: '10.1.0.0/24', region: 'eu', connectionType: 'local' }),
      1,
    );
    sut.apply(
      ev('ResourceCreated', 'res_1', {
        siteId: 'st_a',
        name: 'api',
        protocol: 'http',
        domains: ['api.example.com'],
      }),
      2,
    );
    const added = (issuerId: string, sealed: string) =>
      ev('ResourceTokenIssuerAdded', 'res_1', {
        issuerId,
        name: 'ci',
        issuer: `https://ci.example.com/${issuerId}`,
        audience: 'api',
        algorithms: ['HS256'],
        publicKeys: [],
        secretKeys: [{ kid: 'k1', alg: null, fingerprint: 'f', sealed }],
      });
    expect(
      sut.apply(added('tis_1', sealSecret(secretsKey, k, issuerKeyBinding('res_1', 'tis_1'))), 3),
    ).toEqual(['st_a']);
    // Sealed for another issuer: does not open here (a copied ciphertext is no key).
    sut.apply(added('tis_2', sealSecret(secretsKey, k, issuerKeyBinding('res_1', 'tis_other'))), 4);
    const open = (sealed: string, boundTo: string) => openSecret(secretsKey, sealed, boundTo);
    const issuers = sut.snapshot('st_a', new Date(), open)?.resources[0]?.tokenIssuers;
    expect(issuers).toEqual([
      expect.objectContaining({ id: 'tis_1', audience: 'api', keys: [{ kty: 'oct', k, kid: 'k1' }] }),
      expect.objectContaining({ id: 'tis_2', keys: [] }),
    ]);
    // Without the secrets key no HMAC key leaves the console; the fold's stored state keeps it sealed.
    expect(sut.snapshot('st_a', new Date())?.resources[0]?.tokenIssuers?.[0]?.keys).toEqual([]);
    expect(JSON.stringify(sut.toState())).not.toContain(k);
    const resumed = SiteConfigFold.fromState(JSON.parse(JSON.stringify(sut.toState())));
    expect(resumed.snapshot('st_a', new Date(), open)?.resources[0]?.tokenIssuers).toEqual(issuers);
    expect(sut.apply(ev('ResourceTokenIssuerRemoved', 'res_1', { issuerId: 'tis_1' }), 5)).toEqual(['st_a']);
    expect(sut.snapshot('st_a', new Date(), open)?.resources[0]?.tokenIssuers?.map((i) => i.id)).toEqual([
      'tis_2',
    ]);
  });

  it('ships a policy naming only token subjects so that a gateway without them lets nobody in by it', () => {
    const sut = new SiteConfigFold();
    sut.apply(
      ev('SiteCreated', 'st_a', { name: 'A', subnet: '10.1.0.0/24', region: 'eu', connectionType: 'local' }),
      1,
    );
    sut.apply(
      ev('ResourceCreated', 'res_1', {
        siteId: 'st_a',
        name: 'api',
        protocol: 'http',
        domains: ['api.example.com'],
      }),
      2,
    );
    sut.apply(
      ev('PolicyCreated', 'pol_1', {
        name: 'ci',
        effect: 'allow',
        subjects: { tokens: [{ issuerId: 'tis_1', subs: ['deploy-bot'] }] },
      }),
      3,
    );
    const [policy] = sut.snapshot('st_a', new Date())!.policies;
    const request = { ip: '10.0.0.1', country: null, path: '/', method: 'GET', at: new Date() };
    // An older gateway's engine does not know `tokens`: it sees only the guard user, who never exists.
    const { tokens: _unknown, ...older } = policy!.subjects;
    const asOlder = { ...policy!, subjects: older };
    expect(asOlder.subjects.users).toEqual([TOKEN_SUBJECTS_GUARD]);
    expect(decide([asOlder], 'res_1', { ...request, user: null }).allowed).toBe(false);
    expect(
      decide([asOlder], 'res_1', { ...request, user: { id: 'usr_1', role: 'owner', groups: [] } }).allowed,
    ).toBe(false);
    // A current one admits the token's sub, and still no one else.
    const ci = { id: 'deploy-bot', role: 'member' as const, groups: [], issuerId: 'tis_1' };
    expect(decide([policy!], 'res_1', { ...request, user: ci }).allowed).toBe(true);
    expect(decide([policy!], 'res_1', { ...request, user: null }).allowed).toBe(false);
  });
});
