import { rootCertificates } from 'node:tls';
import { Agent as HttpsAgent } from 'node:https';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as AcmeClient from 'acme-client';
import type { Logger } from '@rustronaut/observability';
import type { CertificateStore } from './certificate-store';
import { storedCertificate } from './certificates';
import { renewalTime, retryDelay, timerDelay } from './renewal';

/**
 * acme-client and the crypto and HTTP libraries it brings (about 27 MB resident) are loaded by the
 * first AcmeCertificates, so a gateway without RN_ACME_DIRECTORY_URL never holds them.
 */
let acme: typeof AcmeClient;

export interface AcmeOptions {
  directoryUrl: string;
  email: string | undefined;
  /** A root (PEM) trusted for the ACME directory's own HTTPS besides the system's (a test CA). */
  caCert: string | undefined;
  dataDir: string;
  store: CertificateStore;
  logger: Logger;
  /**
   * Told of each HTTP-01 challenge set (and removed: `undefined`) before the CA is asked to validate,
   * so every process that answers the HTTP port knows it (the gateway's data-plane workers).
   */
  onChallenge?: (token: string, keyAuthorization: string | undefined) => Promise<void>;
}

interface DomainState {
  timer: NodeJS.Timeout | undefined;
  /** Failed attempts in a row (0 after a success). */
  failures: number;
}

export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

/** `localhost` and its subdomains never resolve to this gateway from a CA (RFC 6761): not ordered. */
export function acmeCanCertify(domain: string): boolean {
  return domain !== 'localhost' && !domain.endsWith('.localhost') && !domain.startsWith('*.');
}

/**
 * Certificates from an ACME CA (Let's Encrypt, a private CA) for the exact domains of the HTTP
 * resources, by HTTP-01: the HTTP listener answers `/.well-known/acme-challenge/<token>` from
 * `answer`. Certificates and keys are kept in `<dataDir>/tls/acme/` and put in the store; each is
 * renewed once less than a third of its lifetime remains, and the store swaps it in without a
 * restart. A failure is logged with the CA's reason and retried with backoff (5 s doubling, at most
 * an hour); it never stops the gateway, and the domain keeps its previous certificate (or the
 * development CA's) meanwhile.
 */
export class AcmeCertificates {
  readonly #tokens = new Map<string, string>();
  readonly #domains = new Map<string, DomainState>();
  readonly #dir: string;
  #client: Promise<AcmeClient.Client> | undefined;
  /** Orders run one at a time. */
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(private readonly options: AcmeOptions) {
    acme ??= require('acme-client') as typeof AcmeClient;
    this.#dir = join(options.dataDir, 'tls', 'acme');
    acme.setLogger((message) => options.logger.debug({ acme: message }, 'acme'));
    if (options.caCert) {
      acme.axios.defaults.httpsAgent = new HttpsAgent({ ca: [...rootCertificates, options.caCert] });
    }
  }

  /** The key authorization for an HTTP-01 token the CA is validating; undefined for any other. */
  answer(token: string): string | undefined {
    return this.#tokens.get(token);
  }

  /** Follows the set of domains to hold certificates for: new ones are loaded or ordered, gone ones dropped. */
  follow(domains: Iterable<string>): void {
    if (this.#stopped) return;
    const wanted = new Set([...domains].filter(acmeCanCertify));
    for (const [domain, state] of this.#domains) {
      if (wanted.has(domain)) continue;
      clearTimeout(state.timer);
      this.#domains.delete(domain);
      this.options.store.remove(domain, 'acme');
    }
    for (const domain of wanted) {
      if (this.#domains.has(domain)) continue;
      this.#domains.set(domain, { timer: undefined, failures: 0 });
      this.#enqueue(domain, () => this.#loadOrObtain(domain));
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const state of this.#domains.values()) clearTimeout(state.timer);
  }

  #enqueue(domain: string, work: () => Promise<void>): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#stopped || !this.#domains.has(domain)) return;
      await work();
    });
  }

  async #loadOrObtain(domain: string): Promise<void> {
    const files = this.#files(domain);
    const saved = await Promise.all([readFile(files.cert, 'utf8'), readFile(files.key, 'utf8')]).catch(
      () => undefined,
    );
    if (saved) {
      try {
        const stored = storedCertificate(saved[0], saved[1], 'acme', [domain]);
        if (stored.notAfter.getTime() > Date.now()) {
          this.options.store.put(stored);
          this.options.logger.info(
            { domain, serial: stored.serial, notAfter: stored.notAfter },
            'ACME certificate loaded from the data directory',
          );
          return this.#schedule(domain, renewalTime(stored.notBefore, stored.notAfter));
        }
      } catch (error) {
        this.options.logger.warn(
          { domain, err: error },
          'the saved ACME certificate is unusable; ordering a new one',
        );
      }
    }
    await this.#obtain(domain);
  }

  async #obtain(domain: string): Promise<void> {
    const state = this.#domains.get(domain);
    if (!state) return;
    try {
      const client = await this.#account();
      const [key, csr] = await acme.crypto.createCsr(
        { commonName: domain, altNames: [domain] },
        await acme.crypto.createPrivateEcdsaKey('P-256'),
      );
      const cert = await client.auto({
        csr,
        email: this.options.email,
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        // The CA validates from outside; a self-check from here may not reach our public address.
        skipChallengeVerification: true,
        challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
          this.#tokens.set(challenge.token, keyAuthorization);
          await this.options.onChallenge?.(challenge.token, keyAuthorization);
        },
        challengeRemoveFn: async (_authz, challenge) => {
          this.#tokens.delete(challenge.token);
          await this.options.onChallenge?.(challenge.token, undefined);
        },
      });
      const stored = storedCertificate(cert, key.toString(), 'acme', [domain]);
      await this.#save(domain, cert, key.toString());
      if (!this.#domains.has(domain)) return; // dropped while ordering
      this.options.store.put(stored);
      state.failures = 0;
      this.options.logger.info(
        { domain, serial: stored.serial, notBefore: stored.notBefore, notAfter: stored.notAfter },
        'ACME certificate issued; serving it from the next handshake',
      );
      this.#schedule(domain, renewalTime(stored.notBefore, stored.notAfter));
    } catch (error) {
      state.failures++;
      const delay = retryDelay(state.failures);
      this.options.logger.error(
        { domain, err: error, attempt: state.failures, retryInSeconds: delay / 1000 },
        `could not get an ACME certificate for ${domain}: ${(error as Error).message}`,
      );
      this.#schedule(domain, new Date(Date.now() + delay));
    }
  }

  #schedule(domain: string, at: Date): void {
    const state = this.#domains.get(domain);
    if (!state || this.#stopped) return;
    clearTimeout(state.timer);
    const delay = timerDelay(at, new Date());
    state.timer = setTimeout(() => {
      // A timer holds at most ~24.8 days: re-arm until the renewal time has really come.
      if (Date.now() < at.getTime()) return this.#schedule(domain, at);
      this.#enqueue(domain, () => this.#obtain(domain));
    }, delay);
    state.timer.unref();
  }

  /** The ACME account: its key is made once and kept in the data directory. */
  #account(): Promise<AcmeClient.Client> {
    this.#client ??= (async () => {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      const path = join(this.#dir, 'account.key');
      let accountKey: string;
      try {
        accountKey = await readFile(path, 'utf8');
      } catch {
        accountKey = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
        await writeFile(path, accountKey, { mode: 0o600 });
      }
      return new acme.Client({ directoryUrl: this.options.directoryUrl, accountKey });
    })().catch((error: unknown) => {
      this.#client = undefined;
      throw error;
    });
    return this.#client;
  }

  #files(domain: string): { cert: string; key: string } {
    return { cert: join(this.#dir, `${domain}.crt`), key: join(this.#dir, `${domain}.key`) };
  }

  /** Written to temporary files and renamed, so a crash never leaves half a certificate. */
  async #save(domain: string, cert: string, key: string): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const files = this.#files(domain);
    await writeFile(`${files.key}.tmp`, key, { mode: 0o600 });
    await writeFile(`${files.cert}.tmp`, cert);
    await rename(`${files.key}.tmp`, files.key);
    await rename(`${files.cert}.tmp`, files.cert);
  }
}
