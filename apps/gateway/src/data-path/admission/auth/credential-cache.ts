import type { SignedAssertion } from './identity-assertion';
import type { VerifiedIdentity } from './token-verifier';
import type { Caller, CredentialKind } from '../../model';

/** A checked credential, and what was derived from it per resource (groups, the signed assertion). */
export interface CachedCredential {
  identity: VerifiedIdentity;
  /** How the caller proved who they are: a bearer token, or a cookie set after one of the methods. */
  via: CredentialKind;
  byResource: Map<string, { caller: Caller; assertion: SignedAssertion | undefined }>;
}

/**
 * Credentials already checked (bearer tokens and session cookies, keyed by their exact text), so a
 * signed-in caller's next requests cost a map lookup instead of a signature check. Bounded: the
 * least recently used entry goes first. Emptied whenever a snapshot changes (keys, groups or
 * revocations may have), and an entry is only used until its credential expires.
 */
export class CredentialCache {
  readonly #entries = new Map<string, CachedCredential>();

  constructor(private readonly capacity = 10_000) {}

  get size(): number {
    return this.#entries.size;
  }

  get(credential: string): CachedCredential | undefined {
    const entry = this.#entries.get(credential);
    if (entry === undefined) return undefined;
    // Most recently used last: a Map iterates in insertion order, so the first key is the oldest.
    this.#entries.delete(credential);
    this.#entries.set(credential, entry);
    return entry;
  }

  set(credential: string, identity: VerifiedIdentity, via: CredentialKind): CachedCredential {
    const entry: CachedCredential = { identity, via, byResource: new Map() };
    this.#entries.delete(credential);
    this.#entries.set(credential, entry);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    return entry;
  }

  delete(credential: string): void {
    this.#entries.delete(credential);
  }

  clear(): void {
    this.#entries.clear();
  }
}
