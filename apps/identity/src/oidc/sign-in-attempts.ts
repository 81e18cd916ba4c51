import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SignInReturn } from '@rustronaut/contracts';
import type { AuthorizationChecks } from './oidc-relying-party';

/** A provider sign-in between the redirect to the provider and its callback. */
export interface PendingSignIn {
  providerId: string;
  orgId: string;
  checks: AuthorizationChecks;
  /** SHA-256 of the random value kept in the starting browser's cookie. */
  browserBindingHash: string;
  returnTo: SignInReturn;
}

/** A completed sign-in waiting to be redeemed for tokens (by the browser, the console or the CLI). */
export interface SignInGrant {
  orgId: string;
  userId: string;
  /** The CLI's PKCE challenge: then only its verifier redeems the code. */
  challenge: string | null;
}

const PENDING_TTL_S = 10 * 60;
const GRANT_TTL_S = 60;
const CHALLENGE_TTL_S = 5 * 60;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Sign-ins in flight, in Redis so every identity process shares them: each is keyed by a hash of
 * its one-use value (the OAuth `state`, the one-time code) and taken with GETDEL, so it is used once
 * at most — a replayed callback or code finds nothing.
 */
export class SignInAttempts {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async holdPending(pending: PendingSignIn): Promise<void> {
    await this.redis.set(
      this.#key('pending', pending.checks.state),
      JSON.stringify(pending),
      'EX',
      PENDING_TTL_S,
    );
  }

  async takePending(state: string): Promise<PendingSignIn | undefined> {
    const raw = await this.redis.getdel(this.#key('pending', state));
    return raw ? (JSON.parse(raw) as PendingSignIn) : undefined;
  }

  async holdGrant(code: string, grant: SignInGrant): Promise<void> {
    await this.redis.set(this.#key('grant', code), JSON.stringify(grant), 'EX', GRANT_TTL_S);
  }

  async takeGrant(code: string): Promise<SignInGrant | undefined> {
    const raw = await this.redis.getdel(this.#key('grant', code));
    return raw ? (JSON.parse(raw) as SignInGrant) : undefined;
  }

  /** A WebAuthn challenge we issued, and for whom (registration) — taken once. */
  async holdChallenge(kind: 'register' | 'authenticate', challenge: string, owner: string): Promise<void> {
    await this.redis.set(this.#key(kind, challenge), owner, 'EX', CHALLENGE_TTL_S);
  }

  async takeChallenge(kind: 'register' | 'authenticate', challenge: string): Promise<string | undefined> {
    return (await this.redis.getdel(this.#key(kind, challenge))) ?? undefined;
  }

  #key(kind: 'pending' | 'grant' | 'register' | 'authenticate', secret: string): string {
    return `${this.prefix}:signin:${kind}:${sha256(secret)}`;
  }
}
