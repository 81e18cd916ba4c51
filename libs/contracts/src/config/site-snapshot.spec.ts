import { generateKeyPairSync } from 'node:crypto';
import { signSnapshot, verifySnapshot, type SiteSnapshot } from './site-snapshot';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const keys = { k1: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
const snapshot: SiteSnapshot = {
  format: 1,
  siteId: 'st_a',
  orgId: 'org_1',
  revision: 42,
  issuedAt: '2026-11-24T00:00:00.000Z',
  site: { name: 'A', subnet: '10.1.0.0/24', region: 'eu', connectionType: 'local' },
  resources: [],
  policies: [],
  groups: {},
  jwks: [],
};

describe('signed site snapshots', () => {
  it('verifies what the console signed', () => {
    const sut = verifySnapshot(signSnapshot(snapshot, { id: 'k1', privateKey }), keys, 'st_a');
    expect(sut).toEqual({ ok: true, snapshot });
  });

  it('refuses a changed payload, a foreign key, another site and garbage', () => {
    const signed = signSnapshot(snapshot, { id: 'k1', privateKey });
    const tampered = {
      ...signed,
      payload: Buffer.from(JSON.stringify({ ...snapshot, revision: 43 })).toString('base64'),
    };
    expect(verifySnapshot(tampered, keys)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifySnapshot(signSnapshot(snapshot, { id: 'k1', privateKey: other.privateKey }), keys)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifySnapshot(signSnapshot(snapshot, { id: 'k2', privateKey }), keys)).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
    expect(verifySnapshot(signed, keys, 'st_b')).toEqual({ ok: false, reason: 'wrong-site' });
    expect(verifySnapshot({ nope: 1 }, keys)).toEqual({ ok: false, reason: 'malformed' });
  });
});
