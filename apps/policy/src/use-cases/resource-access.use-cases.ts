import { randomBytes } from 'node:crypto';
import {
  actorOf,
  hashAccessSecret,
  newId,
  requireRole,
  shareTokenSha256,
  type PolicyCommand,
  type Principal,
  type ResourceView,
  type ShareLinkView,
} from '@rustronaut/contracts';
import { commitAndWait, retryOnConflict } from '@rustronaut/eventstore';
import { evolveResource, fold, type ResourceState } from '../domain/aggregates';
import { PolicyError, PolicyErrorCode, notFound } from '../domain/errors';
import type { PolicyDeps } from './policy-deps';

type Body<
  P extends 'policy.resources.setAccessSecret' | 'policy.shareLinks.create' | 'policy.shareLinks.revoke',
> = Omit<PolicyCommand<P>, 'principal'>;

const PIN = /^\d{4,12}$/;

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

  async #load(principal: Principal, id: string): Promise<{ resource: ResourceState; version: number }> {
    const loaded = await this.deps.store.load({ type: 'resource', id });
    const resource = fold(loaded.events, evolveResource);
    if (!resource || resource.deleted || resource.orgId !== principal.orgId) throw notFound('resource', id);
    return { resource, version: loaded.version };
  }
}
