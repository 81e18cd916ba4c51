import {
  oidcCallbackPath,
  oidcStartPath,
  type IdentityCommand,
  type IdentityProviderView,
  type Principal,
  type SignInProviderView,
} from '@rustronaut/contracts';
import { fold } from '../domain/aggregates';
import { notFound } from '../domain/errors';
import { DEFAULT_ORG_ID, newId } from '../domain/ids';
import {
  decideAddProvider,
  decideChangeProvider,
  decideRemoveProvider,
  evolveIdentityProvider,
  type ProviderSettings,
} from '../domain/identity-providers';
import { sealSecret } from '../domain/sealed-secrets';
import type { ProviderRecord } from '../read-model/sign-in.queries';
import { actorOf, commit, requireRole, retryOnConflict, type IdentityDeps } from './identity-deps';

type Body<P extends 'identity.idp.create' | 'identity.idp.update' | 'identity.idp.delete'> = Omit<
  IdentityCommand<P>,
  'principal'
>;

/** The exact redirect URI of a provider: the console's callback for it. */
export const redirectUriOf = (deps: IdentityDeps, providerId: string) =>
  `${deps.config.api.publicUrl.replace(/\/+$/, '')}${oidcCallbackPath(providerId)}`;

/** An organisation's identity providers: admins add, change and remove them; load → decide → append. */
export class IdentityProviderUseCases {
  constructor(private readonly deps: IdentityDeps) {}

  async create(principal: Principal, request: Body<'identity.idp.create'>): Promise<IdentityProviderView> {
    requireRole(principal, 'admin');
    const id = newId('idp');
    const { type: _type, clientSecret, ...settings } = request;
    const events = decideAddProvider(
      { ...settings, clientSecretSealed: sealSecret(this.deps.config.secretsKey, clientSecret, id) },
      { groupIds: await this.deps.signIn.groupIds({ orgId: principal.orgId }) },
    );
    await commit(this.deps, { type: 'identity_provider', id }, 0, events, {
      orgId: principal.orgId,
      actor: actorOf(principal),
    });
    return this.get(principal, id);
  }

  async list(principal: Principal): Promise<{ items: IdentityProviderView[] }> {
    requireRole(principal, 'admin');
    const records = await this.deps.signIn.providers({ orgId: principal.orgId });
    return { items: records.map((r) => this.#view(r)) };
  }

  async get(principal: Principal, id: string): Promise<IdentityProviderView> {
    requireRole(principal, 'admin');
    const record = await this.deps.signIn.provider({ orgId: principal.orgId }, id);
    if (!record) throw notFound('identity provider', id);
    return this.#view(record);
  }

  async update(principal: Principal, request: Body<'identity.idp.update'>): Promise<IdentityProviderView> {
    requireRole(principal, 'admin');
    return retryOnConflict(request.expectedVersion, async () => {
      const aggregate = { type: 'identity_provider', id: request.id };
      const loaded = await this.deps.store.load(aggregate);
      const state = fold(loaded.events, evolveIdentityProvider);
      if (!state || state.removed || state.orgId !== principal.orgId)
        throw notFound('identity provider', request.id);
      const { clientSecret, ...rest } = request.changes;
      const changes: Partial<ProviderSettings> = { ...rest };
      if (clientSecret !== undefined)
        changes.clientSecretSealed = sealSecret(this.deps.config.secretsKey, clientSecret, request.id);
      const events = decideChangeProvider(state, changes, {
        groupIds: await this.deps.signIn.groupIds({ orgId: principal.orgId }),
      });
      await commit(this.deps, aggregate, request.expectedVersion ?? loaded.version, events, {
        orgId: principal.orgId,
        actor: actorOf(principal),
      });
      return this.get(principal, request.id);
    });
  }

  async delete(principal: Principal, request: Body<'identity.idp.delete'>): Promise<{ deleted: true }> {
    requireRole(principal, 'admin');
    return retryOnConflict(request.expectedVersion, async () => {
      const aggregate = { type: 'identity_provider', id: request.id };
      const loaded = await this.deps.store.load(aggregate);
      const state = fold(loaded.events, evolveIdentityProvider);
      if (!state || state.removed || state.orgId !== principal.orgId)
        throw notFound('identity provider', request.id);
      await commit(this.deps, aggregate, request.expectedVersion ?? loaded.version, decideRemoveProvider(), {
        orgId: principal.orgId,
        actor: actorOf(principal),
      });
      return { deleted: true };
    });
  }

  /** What a sign-in page offers: the providers of the organisation with this slug or id (else the default one). */
  async forSignIn(which: {
    orgSlug?: string | undefined;
    orgId?: string | undefined;
  }): Promise<{ organization: string; items: SignInProviderView[] }> {
    const orgId = which.orgSlug
      ? await this.deps.signIn.organizationIdBySlug(which.orgSlug)
      : (which.orgId ?? DEFAULT_ORG_ID);
    if (!orgId) throw notFound('organisation', which.orgSlug ?? '');
    const records = await this.deps.signIn.providers({ orgId });
    return {
      organization: orgId,
      items: records.map((r) => ({ id: r.id, name: r.name, type: r.type, startPath: oidcStartPath(r.id) })),
    };
  }

  #view(r: ProviderRecord): IdentityProviderView {
    const { clientSecretSealed: _sealed, ...view } = r;
    return { ...view, redirectUri: redirectUriOf(this.deps, r.id) };
  }
}
