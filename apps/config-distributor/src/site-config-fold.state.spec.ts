import type { PlatformEvent } from '@rustronaut/contracts';
import { ev } from './fold-events.fixture';
import { SiteConfigFold, type SiteConfigFoldState } from './site-config-fold';


const key = (c: string) => `${c.repeat(42)}A=`;
/** A history touching every part of the fold's state. */
const history: PlatformEvent[] = [
  ev('SiteCreated', 'st_a', { name: 'A', subnet: '10.1.0.0/24', region: 'eu', connectionType: 'wireguard' }),
  ev('SiteCreated', 'st_b', { name: 'B', subnet: '10.2.0.0/24', region: 'eu', connectionType: 'local' }),
  ev('SiteConnectorTokenIssued', 'st_b', { tokenHash: 'h1' }),
  ev('ResourceCreated', 'res_1', {
    siteId: 'st_a',
    name: 'app',
    protocol: 'http',
    domains: ['app.example.com'],
  }),
  ev('ResourceTargetAdded', 'res_1', { targetId: 'tgt_1', address: '10.1.0.5:80', protocol: 'http' }),
  ev('ResourceTargetAdded', 'res_1', { targetId: 'tgt_2', address: '10.1.0.6:80', protocol: 'http' }),
  ev('ResourceAccessSecretSet', 'res_1', { method: 'pin', hash: 'scrypt$pin' }),
  ev('ResourceShareLinkCreated', 'res_1', {
    linkId: 'lnk_1',
    tokenSha256: 'abc',
    expiresAt: '2030-01-01T00:00:00.000Z',
  }),
  ev('SigningKeyRotated', 'sk_1', { kid: 'k1', publicJwk: { kty: 'OKP', x: 'one' } }),
  ev('UserRegistered', 'usr_1', { email: 'a@example.com', name: 'A', role: 'member', passwordHash: 'x' }),
  ev('GroupCreated', 'grp_1', { name: 'eng' }),
  ev('GroupMemberAdded', 'grp_1', { userId: 'usr_1' }),
  ev('PolicyCreated', 'pol_1', {
    name: 'eng',
    effect: 'allow',
    resourceIds: ['res_1'],
    subjects: { groups: ['grp_1'] },
  }),
  ev('SessionStarted', 'ses_1', {
    userId: 'usr_1',
    refreshHash: 'r',
    expiresAt: '2030-01-01T00:00:00.000Z',
    ip: null,
    userAgent: null,
  }),
  ev('DeviceRegistered', 'dev_1', {
    siteId: 'st_a',
    userId: 'usr_1',
    name: 'laptop',
    publicKey: key('A'),
    address: '10.1.0.2',
  }),
  ev('ResourceTargetUpdated', 'res_1', { targetId: 'tgt_2', weight: 5 }),
  ev('ResourceShareLinkRevoked', 'res_1', { linkId: 'lnk_1' }),
  ev('SessionRevoked', 'ses_1', { reason: 'logout' }),
  ev('ApiKeyCreated', 'key_1', {
    name: 'ci',
    role: 'member',
    ownerUserId: 'usr_1',
    secretHash: 'h',
    expiresAt: null,
  }),
  ev('UserDisabled', 'usr_1', {}),
  ev('UserRoleChanged', 'usr_1', { role: 'admin' }),
  ev('GroupMemberAdded', 'grp_1', { userId: 'usr_2' }),
  ev('ResourceTargetRemoved', 'res_1', { targetId: 'tgt_1' }),
  ev('SigningKeyRotated', 'sk_2', { kid: 'k2', publicJwk: { kty: 'OKP', x: 'two' } }),
  ev('PolicyUpdated', 'pol_1', { name: 'engineering' }),
  ev('UserEnabled', 'usr_1', {}),
  ev('UserDisabled', 'usr_1', {}),
  ev('SiteDeleted', 'st_b', {}),
];

const at = new Date('2026-11-24T00:00:00Z');
const snapshots = (fold: SiteConfigFold) =>
  ['st_a', 'st_b'].map((site) => ({ site, snapshot: fold.snapshot(site, at), live: fold.isLive(site) }));

describe('SiteConfigFold state (what a restart resumes from)', () => {
  it('given a state stored after any prefix of the history, when the rest is applied, then every snapshot is the one a full replay gives', () => {
    const replayed = new SiteConfigFold();
    history.forEach((event, i) => replayed.apply(event, i + 1));
    for (let cut = 0; cut <= history.length; cut++) {
      const before = new SiteConfigFold();
      history.slice(0, cut).forEach((event, i) => before.apply(event, i + 1));
      // stored as JSON text, as the snapshot table keeps it
      const stored = JSON.parse(JSON.stringify(before.toState())) as SiteConfigFoldState;
      const sut = SiteConfigFold.fromState(stored);
      const changed = history.slice(cut).map((event, i) => sut.apply(event, cut + i + 1));
      const direct = new SiteConfigFold();
      const expectedChanged = history.map((event, i) => direct.apply(event, i + 1)).slice(cut);
      expect({ cut, changed, snapshots: snapshots(sut) }).toEqual({
        cut,
        changed: expectedChanged,
        snapshots: snapshots(replayed),
      });
    }
  });

  it('refuses a stored state of another shape (then the distributor replays from the first event)', () => {
    expect(() => SiteConfigFold.fromState({} as SiteConfigFoldState)).toThrow('no sites');
    const state = new SiteConfigFold().toState() as Partial<SiteConfigFoldState>;
    delete state.devices;
    expect(() => SiteConfigFold.fromState(state as SiteConfigFoldState)).toThrow('no devices');
  });
});
