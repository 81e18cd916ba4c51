import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { accessLogSubject } from '@rustronaut/contracts';
import {
  createAccount,
  createOperator,
  createUser,
  fromPublic,
  fromSeed,
  type KeyPair,
} from '@nats-io/nkeys';

/**
 * What a gateway may do on NATS: read its own sites' config, publish only its own reports and its
 * own access records (`rn.access.<its org>.<its id>`, captured by the access-log stream).
 */
export function gatewayPermissions(gatewayId: string, orgId: string, siteIds: readonly string[]) {
  return {
    pub: {
      allow: [
        `rn.gateway.${gatewayId}.>`,
        accessLogSubject(orgId, gatewayId),
        ...siteIds.map((s) => `rn.config.get.${s}`),
      ],
    },
    sub: {
      allow: [
        ...siteIds.map((s) => `rn.config.site.${s}`),
        `rn.gateway.${gatewayId}.control`,
        `${gatewayInboxPrefix(gatewayId)}.>`,
      ],
    },
  };
}

/** Replies to a gateway's requests come on its own inbox prefix, so it can subscribe to nothing else. */
export const gatewayInboxPrefix = (gatewayId: string) => `_INBOX_${gatewayId}`;

export interface NatsAuthoritySeeds {
  operator: string;
  account: string;
  system: string;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Account limits off (the library's defaults allow no connection at all). */
const UNLIMITED = {
  conn: -1,
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  leaf: -1,
  wildcards: true,
};

/**
 * The NATS identities of the platform (decentralised JWT auth): an operator, the platform's account
 * (JetStream enabled) and a system account. Gateways get user JWTs signed by the account; deleting
 * a gateway revokes its user in a new account JWT pushed to the servers.
 */
export class NatsAuthority {
  readonly #operator: KeyPair;
  readonly #account: KeyPair;
  readonly #system: KeyPair;

  constructor(seeds: NatsAuthoritySeeds) {
    const enc = new TextEncoder();
    this.#operator = fromSeed(enc.encode(seeds.operator));
    this.#account = fromSeed(enc.encode(seeds.account));
    this.#system = fromSeed(enc.encode(seeds.system));
  }

  static generate(): NatsAuthoritySeeds {
    return {
      operator: text(createOperator().getSeed()),
      account: text(createAccount().getSeed()),
      system: text(createAccount().getSeed()),
    };
  }

  get accountPublicKey(): string {
    return this.#account.getPublicKey();
  }

  get systemAccountPublicKey(): string {
    return this.#system.getPublicKey();
  }

  operatorJwt(): Promise<string> {
    return encodeOperator('rustronaut', this.#operator, { system_account: this.#system.getPublicKey() });
  }

  /** The platform account, with JetStream and the revoked users (public key → revoked at, seconds). */
  accountJwt(revocations: Record<string, number> = {}): Promise<string> {
    return encodeAccount(
      'rustronaut',
      this.#account,
      { limits: { ...UNLIMITED, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 }, revocations },
      { signer: this.#operator },
    );
  }

  systemAccountJwt(): Promise<string> {
    return encodeAccount('SYS', this.#system, { limits: UNLIMITED }, { signer: this.#operator });
  }

  /** A gateway's user JWT for the NATS public key it generated (its seed never leaves the gateway). */
  gatewayUserJwt(
    gatewayId: string,
    orgId: string,
    siteIds: readonly string[],
    userPublicKey: string,
  ): Promise<string> {
    return encodeUser(
      gatewayId,
      fromPublic(userPublicKey),
      this.#account,
      gatewayPermissions(gatewayId, orgId, siteIds),
    );
  }

  /** A creds file for a user of the platform account with every permission (console services). */
  async serviceCreds(name: string): Promise<string> {
    const user = createUser();
    return text(fmtCreds(await encodeUser(name, user, this.#account), user));
  }

  /** A creds file for a system-account user (pushes account updates, such as revocations). */
  async systemCreds(): Promise<string> {
    const user = createUser();
    return text(fmtCreds(await encodeUser('system', user, this.#system), user));
  }

  /**
   * The nats-server configuration that trusts this operator: a "full" account resolver in
   * `resolverDir` (so account updates, such as revocations, can be pushed at run time), with the
   * platform and system accounts preloaded.
   */
  async serverConfig(resolverDir: string, revocations: Record<string, number> = {}): Promise<string> {
    return [
      `operator: ${await this.operatorJwt()}`,
      `system_account: ${this.#system.getPublicKey()}`,
      `resolver: { type: full, dir: ${JSON.stringify(resolverDir)}, allow_delete: false, interval: "2m" }`,
      'resolver_preload: {',
      `  ${this.#account.getPublicKey()}: ${await this.accountJwt(revocations)}`,
      `  ${this.#system.getPublicKey()}: ${await this.systemAccountJwt()}`,
      '}',
      '',
    ].join('\n');
  }
}
