import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PolicyDataSchema, ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import { EdgeAuthenticator, grantOf } from './edge-authenticator';
import { AssertionKey } from './identity-assertion';
import { SessionCookies, sessionCookieName } from './session-cookie';
import type { TokenVerifier, Verification } from './token-verifier';
import type { Admission, AppliedSnapshot, Refusal, RoutedResource, SnapshotSource } from '../../model';

const secret = randomBytes(32);

function snapshotWith(changes: Partial<SiteSnapshot> = {}, methods: string[] = ['sso']): SiteSnapshot {
  return {
    format: 1,
    siteId: 'st_1',
    orgId: 'org_1',
    revision: 1,
    issuedAt: new Date().toISOString(),
    site: { name: 's', subnet: '10.0.0.0/24', region: 'eu', connectionType: 'local' },
    resources: [
      {
        ...ResourceDataSchema.parse({
          siteId: 'st_1',
          name: 'app',
          protocol: 'http',
          domains: ['app.example.com'],
          authMethods: methods,
        }),
        id: 'res_1',
        targets: [],
        access: { pinHash: 'scrypt$pin-hash', shareLinks: [] },
      },
    ],
    policies: [
      {
        ...PolicyDataSchema.parse({ name: 'p', effect: 'allow', subjects: { anyAuthenticated: true } }),
        id: 'pol_1',
      },
    ],
    groups: { grp_eng: ['usr_1'] },
    jwks: [],
    sessionSecret: secret.toString('base64url'),
    ...changes,
  };
}

/** A snapshot source whose snapshot the test replaces, as a new config arriving would. */
class Snapshots implements SnapshotSource {
  #applied = new Map<string, AppliedSnapshot>();
  #listeners: (() => void)[] = [];
  constructor(snapshot: SiteSnapshot) {
    this.set(snapshot);
  }
  set(snapshot: SiteSnapshot): void {
    this.#applied = new Map([['st_1', { snapshot, appliedAt: new Date() }]]);
    for (const listener of this.#listeners) listener();
  }
  all = () => this.#applied;
  get = (id: string) => this.#applied.get(id);
  onChanged = (listener: () => void) => void this.#listeners.push(listener);
}

/** Counts its calls: a cached token must not be verified again. */
class CountingVerifier implements TokenVerifier {
  calls = 0;
  constructor(private readonly answer: Verification) {}
  verify(): Promise<Verification> {
    this.calls++;
    return Promise.resolve(this.answer);
  }
}

const user = (changes: Partial<Extract<Verification, { userId: string }>> = {}): Verification => ({
  userId: 'usr_1',
  email: 'a@example.com',
  role: 'member',
  orgId: 'org_1',
  sessionId: 'ses_1',
  expiresAt: Date.now() + 60_000,
  ...changes,
});

function admission(source: Snapshots, headers: Record<string, string>): Admission {
  const resource = source.get('st_1')!.snapshot.resources[0]!;
  const routed: RoutedResource = { ...resource, orgId: 'org_1', siteId: 'st_1' };
  return {
    req: {
      headers: { host: 'app.example.com', ...headers },
      method: 'GET',
      url: '/page?x=1',
    } as unknown as IncomingMessage,
    facts: {
      ip: '10.0.0.9',
      scheme: 'https',
      host: 'app.example.com',
      rawPath: '/page',
      path: '/page',
      method: 'GET',
      target: '/page?x=1',
      authority: 'app.example.com',
      malformed: null,
    },
    resource: routed,
    caller: null,
  } as unknown as Admission;
}

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
