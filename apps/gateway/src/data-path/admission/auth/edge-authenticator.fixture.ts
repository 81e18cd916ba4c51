import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PolicyDataSchema, ResourceDataSchema, type SiteSnapshot } from '@rustronaut/contracts';
import type { TokenVerifier, Verification } from './token-verifier';
import type { Admission, AppliedSnapshot, RoutedResource, SnapshotSource } from '../../model';

/** Fixtures of the authentication specs: a site snapshot, a source tests replace it in, requests. */

export const secret = randomBytes(32);

export function snapshotWith(changes: Partial<SiteSnapshot> = {}, methods: string[] = ['sso']): SiteSnapshot {
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
export class Snapshots implements SnapshotSource {
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
export class CountingVerifier implements TokenVerifier {
  calls = 0;
  constructor(private readonly answer: Verification) {}
  verify(): Promise<Verification> {
    this.calls++;
    return Promise.resolve(this.answer);
  }
}

export const user = (changes: Partial<Extract<Verification, { userId: string }>> = {}): Verification => ({
  userId: 'usr_1',
  email: 'a@example.com',
  role: 'member',
  orgId: 'org_1',
  sessionId: 'ses_1',
  expiresAt: Date.now() + 60_000,
  ...changes,
});

export function admission(
  source: SnapshotSource,
  headers: Record<string, string>,
  rawHeaders: string[] = Object.entries(headers).flat(),
  index = 0,
): Admission {
  const resource = source.get('st_1')!.snapshot.resources[index]!;
  const routed: RoutedResource = { ...resource, orgId: 'org_1', siteId: 'st_1' };
  return {
    req: {
      headers: { host: 'app.example.com', ...headers },
      rawHeaders: ['Host', 'app.example.com', ...rawHeaders],
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
