import { EdgeAuthenticator, grantOf } from './edge-authenticator';
import { AssertionKey } from './identity-assertion';
import { SessionCookies, sessionCookieName } from './session-cookie';
import type { Refusal } from '../../model';
import {
  CountingVerifier,
  Snapshots,
  admission,
  secret,
  snapshotWith,
  user,
} from './edge-authenticator.fixture';

describe('EdgeAuthenticator', () => {
  it('checks a bearer token once, then admits it synchronously with groups and an assertion', async () => {
    const source = new Snapshots(snapshotWith());
    const verifier = new CountingVerifier(user());
    const sut = new EdgeAuthenticator(source, verifier, { assertions: AssertionKey.ephemeral('gw_1') });
    const first = admission(source, { authorization: 'Bearer t1' });
    expect(await sut.authenticate(first)).toBeUndefined();
    expect(first.caller).toMatchObject({ id: 'usr_1', groups: ['grp_eng'], via: 'token' });
    const second = admission(source, { authorization: 'Bearer t1' });
    expect(sut.authenticate(second)).toBeUndefined(); // no promise: served from the cache
    expect(second.assertion).toBe(first.assertion);
    expect(verifier.calls).toBe(1);
  });

  it('refuses a cached token once its session is revoked in a new snapshot', async () => {
    const source = new Snapshots(snapshotWith());
    const sut = new EdgeAuthenticator(source, new CountingVerifier(user()));
    expect(await sut.authenticate(admission(source, { authorization: 'Bearer t1' }))).toBeUndefined();
    source.set(snapshotWith({ revokedSessions: ['ses_1'] }));
    const refusal = (await sut.authenticate(admission(source, { authorization: 'Bearer t1' }))) as Refusal;
    expect(refusal).toMatchObject({ status: 401, message: expect.stringMatching(/session was ended/) });
  });

  it('refuses an expired or other-organisation identity', async () => {
    const source = new Snapshots(snapshotWith());
    const expired = new EdgeAuthenticator(source, new CountingVerifier(user({ expiresAt: Date.now() - 1 })));
    expect(await expired.authenticate(admission(source, { authorization: 'Bearer t' }))).toMatchObject({
      status: 401,
    });
    const other = new EdgeAuthenticator(source, new CountingVerifier(user({ orgId: 'org_2' })));
    expect(await other.authenticate(admission(source, { authorization: 'Bearer t' }))).toMatchObject({
      status: 401,
      message: expect.stringMatching(/another organisation/),
    });
  });

  it('sends a browser without a session to the console, and a script to a 401', () => {
    const source = new Snapshots(snapshotWith());
    const sut = new EdgeAuthenticator(source, new CountingVerifier(user()), {
      consoleUrl: 'https://console.example.com',
    });
    const browser = sut.authenticate(admission(source, { accept: 'text/html' })) as Refusal;
    expect(browser.status).toBe(302);
    expect(browser.headers?.['location']).toBe(
      `https://console.example.com/login?return=${encodeURIComponent('https://app.example.com/page?x=1')}`,
    );
    expect(sut.authenticate(admission(source, { accept: 'application/json' }))).toMatchObject({
      status: 401,
    });
  });

  it('admits a PIN session only while the PIN it matched is the current one', () => {
    const source = new Snapshots(snapshotWith({}, ['pin']));
    const sut = new EdgeAuthenticator(source, new CountingVerifier(user()));
    const cookie = SessionCookies.mint(secret, {
      via: 'pin',
      resourceId: 'res_1',
      host: 'app.example.com',
      orgId: 'org_1',
      userId: '',
      email: '',
      role: 'member',
      sessionId: grantOf('pin', 'res_1', 'scrypt$pin-hash'),
      expiresAt: Math.floor(Date.now() / 1000) + 60,
    });
    const headers = { cookie: `${sessionCookieName('res_1')}=${cookie}`, accept: 'application/json' };
    const allowed = admission(source, headers);
    expect(sut.authenticate(allowed)).toBeUndefined();
    expect(allowed.caller).toMatchObject({ id: '', via: 'pin' });
    source.set({
      ...snapshotWith({}, ['pin']),
      resources: snapshotWith({}, ['pin']).resources.map((r) => ({
        ...r,
        access: { pinHash: 'scrypt$new', shareLinks: [] },
      })),
    });
    expect(sut.authenticate(admission(source, headers))).toMatchObject({ status: 401 });
  });
});
