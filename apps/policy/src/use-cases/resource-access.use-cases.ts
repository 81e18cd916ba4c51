import { randomBytes } from 'node:crypto';
import {
  actorOf,
  checkIssuerKey,
  hashAccessSecret,
  issuerKeyBinding,
  keyFingerprint,
  newId,
  requireRole,
  sealSecret,
  shareTokenSha256,
  type IssuerJwk,
  type PolicyCommand,
  type Principal,
  type ResourceView,
  type SealedIssuerKey,
  type ShareLinkView,
  type TokenAlgorithm,
  type TokenIssuerSettings,
  type TokenIssuerView,
} from '@rustronaut/contracts';
import { commitAndWait, retryOnConflict } from '@rustronaut/eventstore';
import { evolveResource, fold, type ResourceState, type TokenIssuerState } from '../domain/aggregates';
import { PolicyError, PolicyErrorCode, notFound } from '../domain/errors';
import type { PolicyDeps } from './policy-deps';

type Body<
  P extends 'policy.resources.setAccessSecret' | 'policy.shareLinks.create' | 'policy.shareLinks.revoke',
> = Omit<PolicyCommand<P>, 'principal'>;

const PIN = /^\d{4,12}$/;
/** The most token issuers one resource trusts. */
const MAX_ISSUERS = 20;

const invalid = (message: string, field: string) =>
  new PolicyError(PolicyErrorCode.InvalidResource, message, { details: { field } });

/**
 * A resource's own ways in for people without an account: a PIN or a password (kept only as a
 * scrypt hash, in a `sensitive` event field the audit log redacts) and share links (the token is in
 * the creation answer only; the events and snapshots keep its SHA-256). Admins manage them.
 */
export class ResourceAccessUseCases {
  constructor(
    private readonly deps: PolicyDeps,
    private readonly get: (principal: Principal, id: string) => Promise<ResourceView>,
  ) {}

  async setAccessSecret(
    principal: Principal,
    request: Body<'policy.resources.setAccessSecret'>,
  ): Promise<ResourceView> {
    requireRole(principal, 'admin');
    const { id, method, secret } = request;
    if (secret !== null) {
      if (method === 'pin' && !PIN.test(secret)) throw invalid('a PIN is 4 to 12 digits', 'pin');
      if (method === 'password' && (secret.length < 8 || secret.length > 200))
        throw invalid('a resource password is 8 to 200 characters', 'password');
    }
    const hash = secret === null ? null : await hashAccessSecret(secret);
    await retryOnConflict(undefined, async () => {
      const { resource, version } = await this.#load(principal, id);
      if (secret !== null && !resource.authMethods.includes(method))
        throw invalid(
          `${resource.name} does not accept a ${method}: add "${method}" to its auth_methods first`,
          'auth_methods',
        );
      await commitAndWait(
        this.deps,
        { type: 'resource', id },
        version,
        [{ type: 'ResourceAccessSecretSet', data: { method, hash } }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    });
    return this.get(principal, id);
  }

  async createShareLink(
    principal: Principal,
    { resourceId, expiresInS }: Body<'policy.shareLinks.create'>,
  ): Promise<ShareLinkView & { token: string }> {
    requireRole(principal, 'admin');
    const linkId = newId('lnk');
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.deps.clock().getTime() + expiresInS * 1000).toISOString();
    await retryOnConflict(undefined, async () => {
      const { resource, version } = await this.#load(principal, resourceId);
      if (!resource.authMethods.includes('share_link'))
        throw invalid(
          `${resource.name} does not accept share links: add "share_link" to its auth_methods first`,
          'auth_methods',
        );
      await commitAndWait(
        this.deps,
        { type: 'resource', id: resourceId },
        version,
        [
          {
            type: 'ResourceShareLinkCreated',
            data: { linkId, tokenSha256: shareTokenSha256(token), expiresAt },
          },
        ],
        { orgId: principal.orgId, actor: actorOf(principal) },
      );
    });
    const link = (await this.list(principal, resourceId)).find((l) => l.id === linkId);
    if (!link) throw notFound('share link', linkId);
    return { ...link, token };
  }

  async list(principal: Principal, resourceId: string): Promise<ShareLinkView[]> {
    requireRole(principal, 'admin');
    const { resource } = await this.#load(principal, resourceId);
    return [...resource.shareLinks].map(([id, link]) => ({ id, resourceId, ...link }));
  }

  async revoke(
    principal: Principal,
    { resourceId, linkId }: Body<'policy.shareLinks.revoke'>,
  ): Promise<ShareLinkView> {
    requireRole(principal, 'admin');
    await retryOnConflict(undefined, async () => {
      const { resource, version } = await this.#load(principal, resourceId);
      const link = resource.shareLinks.get(linkId);
      if (!link) throw notFound('share link', linkId);
      if (link.revokedAt) return;
      await commitAndWait(
        this.deps,
        { type: 'resource', id: resourceId },
        version,
        [{ type: 'ResourceShareLinkRevoked', data: { linkId } }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    });
    const link = (await this.list(principal, resourceId)).find((l) => l.id === linkId);
    if (!link) throw notFound('share link', linkId);
    return link;
  }

  /**
   * Trusts a token issuer at the resource: its gateways admit bearer tokens it signed (with the
   * algorithms and keys given, its `iss`, the `aud` given), and the policies decide on their `sub`.
   * An HMAC key is sealed under RN_SECRETS_KEY and shown from now on only by its fingerprint.
   */
  async addTokenIssuer(
    principal: Principal,
    resourceId: string,
    settings: TokenIssuerSettings,
  ): Promise<TokenIssuerView> {
    requireRole(principal, 'admin');
    const issuerId = newId('tis');
    const publicKeys: IssuerJwk[] = [];
    const secretKeys: SealedIssuerKey[] = [];
    for (const [i, jwk] of settings.keys.entries()) {
      const checked = checkIssuerKey(jwk, settings.algorithms);
      if ('problem' in checked) throw invalid(`keys[${i}]: ${checked.problem}`, 'keys');
      const { key } = checked;
      const k = key['k'];
      if (key['kty'] !== 'oct' || k === undefined) {
        publicKeys.push(key);
        continue;
      }
      if (!this.deps.secretsKey)
        throw new PolicyError(
          PolicyErrorCode.SecretsKeyMissing,
          'an HMAC key is kept sealed: set RN_SECRETS_KEY (32 random bytes in base64) on the console, or use a public key',
        );
      secretKeys.push({
        kid: key['kid'] ?? null,
        alg: (key['alg'] as TokenAlgorithm | undefined) ?? null,
        fingerprint: keyFingerprint(key),
        sealed: sealSecret(this.deps.secretsKey, k, issuerKeyBinding(resourceId, issuerId)),
      });
    }
    await retryOnConflict(undefined, async () => {
      const { resource, version } = await this.#load(principal, resourceId);
      if (resource.protocol !== 'http')
        throw invalid(
          `${resource.name} is a ${resource.protocol} resource: bearer tokens are for HTTP`,
          'protocol',
        );
      if (resource.tokenIssuers.size >= MAX_ISSUERS)
        throw invalid(`${resource.name} trusts ${MAX_ISSUERS} issuers already`, 'token_issuers');
      for (const existing of resource.tokenIssuers.values())
        if (existing.issuer === settings.issuer)
          throw invalid(
            `${resource.name} already trusts an issuer with iss "${settings.issuer}" (${existing.name}): remove it first`,
            'issuer',
          );
      await commitAndWait(
        this.deps,
        { type: 'resource', id: resourceId },
        version,
        [
          {
            type: 'ResourceTokenIssuerAdded',
            data: {
              issuerId,
              name: settings.name,
              issuer: settings.issuer,
              audience: settings.audience,
              algorithms: settings.algorithms,
              publicKeys,
              secretKeys,
            },
          },
        ],
        { orgId: principal.orgId, actor: actorOf(principal) },
      );
    });
    const added = (await this.tokenIssuers(principal, resourceId)).find((i) => i.id === issuerId);
    if (!added) throw notFound('token issuer', issuerId);
    return added;
  }

  async tokenIssuers(principal: Principal, resourceId: string): Promise<TokenIssuerView[]> {
    requireRole(principal, 'admin');
    const { resource } = await this.#load(principal, resourceId);
    return [...resource.tokenIssuers].map(([id, issuer]) => issuerView(resourceId, id, issuer));
  }

  async removeTokenIssuer(
    principal: Principal,
    resourceId: string,
    issuerId: string,
  ): Promise<{ deleted: true }> {
    requireRole(principal, 'admin');
    await retryOnConflict(undefined, async () => {
      const { resource, version } = await this.#load(principal, resourceId);
      if (!resource.tokenIssuers.has(issuerId)) throw notFound('token issuer', issuerId);
      await commitAndWait(
        this.deps,
        { type: 'resource', id: resourceId },
        version,
        [{ type: 'ResourceTokenIssuerRemoved', data: { issuerId } }],
        { orgId: principal.orgId, actor: actorOf(principal) },
      );
    });
    return { deleted: true };
  }

  async #load(principal: Principal, id: string): Promise<{ resource: ResourceState; version: number }> {
    const loaded = await this.deps.store.load({ type: 'resource', id });
    const resource = fold(loaded.events, evolveResource);
    if (!resource || resource.deleted || resource.orgId !== principal.orgId) throw notFound('resource', id);
    return { resource, version: loaded.version };
  }
}

/** An issuer as the API shows it: public keys as given, HMAC keys only by their fingerprint. */
function issuerView(resourceId: string, id: string, issuer: TokenIssuerState): TokenIssuerView {
  return {
    id,
    resourceId,
    name: issuer.name,
    issuer: issuer.issuer,
    audience: issuer.audience,
    algorithms: issuer.algorithms,
    keys: [
      ...issuer.publicKeys.map((key) => ({ ...key, fingerprint: keyFingerprint(key) })),
      ...issuer.secretKeys.map((key) => ({
        kty: 'oct',
        ...(key.kid !== null ? { kid: key.kid } : {}),
        ...(key.alg !== null ? { alg: key.alg } : {}),
        fingerprint: key.fingerprint,
      })),
    ],
    createdAt: issuer.createdAt,
  };
}
