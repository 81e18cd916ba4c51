import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Role } from '@rustronaut/contracts';
import type { RoutedResource } from './route-table';
import type { SnapshotSource } from './snapshot-source';

export interface Caller {
  id: string;
  email: string;
  role: Role;
  groups: string[];
  /** The console session the token belongs to (for revocation), when known. */
  sessionId?: string;
}

/** Turns a bearer token into a caller, or says why not. */
export interface TokenVerifier {
  verify(token: string, resource: RoutedResource): Promise<Caller | { refusal: string }>;
}

/** The console's access tokens, checked against the JWKS carried by the snapshots. */
export class SnapshotJwksVerifier implements TokenVerifier {
  #keys: JWTVerifyGetKey | undefined;

  constructor(private readonly source: SnapshotSource) {
    source.onChanged(() => this.#reload());
    this.#reload();
  }

  #reload(): void {
    const keys = [...this.source.all().values()].flatMap((a) => a.snapshot.jwks);
    this.#keys = keys.length ? createLocalJWKSet({ keys } as JSONWebKeySet) : undefined;
  }

  async verify(token: string, resource: RoutedResource): Promise<Caller | { refusal: string }> {
    if (!this.#keys) return { refusal: 'This gateway has no keys to check sign-ins yet.' };
    try {
      const { payload } = await jwtVerify(token, this.#keys, {
        issuer: 'rustronaut',
        audience: 'rustronaut',
      });
      if (payload['org'] !== resource.orgId) return { refusal: 'Your token is for another organisation.' };
      const id = String(payload.sub);
      const groups = Object.entries(this.source.get(resource.siteId)?.snapshot.groups ?? {})
        .filter(([, members]) => members.includes(id))
        .map(([group]) => group);
      return {
        id,
        email: String(payload['email'] ?? ''),
        role: payload['role'] as Role,
        groups,
        ...(typeof payload['sid'] === 'string' ? { sessionId: payload['sid'] } : {}),
      };
    } catch {
      return { refusal: 'Your sign-in is not valid or has expired: sign in again.' };
    }
  }
}
