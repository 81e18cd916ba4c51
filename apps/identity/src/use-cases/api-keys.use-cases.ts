import {
  roleAtLeast,
  type ApiKeyView,
  type IdentityCommand,
  type Page,
  type Principal,
  issueSecret,
} from '@rustronaut/contracts';
import { evolveApiKey, fold } from '../domain/aggregates';
import { forbidden, notFound } from '../domain/errors';
import { newId } from '../domain/ids';
import { actorOf, commit, retryOnConflict, type IdentityDeps } from './identity-deps';

export class ApiKeyUseCases {
  constructor(private readonly deps: IdentityDeps) {}

  /** Creates a key; the secret is in the answer and nowhere else, ever. */
  async create(
    principal: Principal,
    request: Omit<IdentityCommand<'identity.apikeys.create'>, 'principal'>,
  ): Promise<ApiKeyView & { key: string }> {
    if (!roleAtLeast(principal.role, request.role)) {
      throw forbidden(
        `a key cannot have more power than its creator: you have ${principal.role}, asked for ${request.role}`,
      );
    }
    const id = newId('key');
    const secret = issueSecret('rnk', id);
    const expiresAt = request.expiresInDays
      ? new Date(this.deps.clock().getTime() + request.expiresInDays * 86_400_000).toISOString()
      : null;
    await commit(
      this.deps,
      { type: 'api_key', id },
      0,
      [
        {
          type: 'ApiKeyCreated',
          data: {
            name: request.name,
            role: request.role,
            ownerUserId: principal.userId,
            secretHash: secret.hash,
            expiresAt,
          },
        },
      ],
      { orgId: principal.orgId, actor: actorOf(principal) },
    );
    const view = await this.deps.queries.apiKey({ orgId: principal.orgId }, id);
    if (!view) throw notFound('API key', id);
    return { ...view, key: secret.token };
  }

  /** Admins see every key of the organisation; members see their own. */
  list(principal: Principal, cursor: string | undefined, limit: number): Promise<Page<ApiKeyView>> {
    const mine = roleAtLeast(principal.role, 'admin') ? {} : { ownerUserId: principal.userId };
    return this.deps.queries.apiKeys({ orgId: principal.orgId, ...mine }, cursor, limit);
  }

  async revoke(principal: Principal, id: string): Promise<ApiKeyView> {
    return retryOnConflict(undefined, async () => {
      const loaded = await this.deps.store.load({ type: 'api_key', id });
      const key = fold(loaded.events, evolveApiKey);
      if (!key || key.orgId !== principal.orgId) throw notFound('API key', id);
      if (key.ownerUserId !== principal.userId && !roleAtLeast(principal.role, 'admin')) {
        throw forbidden("only the key's owner or an admin can revoke it");
      }
      if (!key.revoked) {
        await commit(
          this.deps,
          { type: 'api_key', id },
          loaded.version,
          [{ type: 'ApiKeyRevoked', data: {} }],
          {
            orgId: principal.orgId,
            actor: actorOf(principal),
          },
        );
      }
      // Access tokens exchanged for this key carry its id as their session: end them too.
      await this.deps.revocations.revokeSession(id, this.deps.config.tokens.accessTtlSeconds + 60);
      const view = await this.deps.queries.apiKey({ orgId: principal.orgId }, id);
      if (!view) throw notFound('API key', id);
      return view;
    });
  }
}
