import type { ClaimMappings, NewEvent, PlatformEvent } from '@rustronaut/contracts';
import { isLoopbackHost } from '@rustronaut/contracts';
import { IdentityError, IdentityErrorCode } from './errors';

/** An organisation's OpenID Connect provider, folded from its events. */
export interface IdentityProviderState {
  orgId: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecretSealed: string;
  scopes: string[];
  claimMappings: ClaimMappings;
  jitProvisioning: boolean;
  requireSso: boolean;
  removed: boolean;
}

export interface ProviderSettings {
  name: string;
  issuer: string;
  clientId: string;
  clientSecretSealed: string;
  scopes: string[];
  claimMappings: ClaimMappings;
  jitProvisioning: boolean;
  requireSso: boolean;
}

export function evolveIdentityProvider(
  state: IdentityProviderState | undefined,
  event: PlatformEvent,
): IdentityProviderState | undefined {
  switch (event.type) {
    case 'IdentityProviderAdded': {
      const { type: _type, ...settings } = event.data;
      return { orgId: event.orgId, ...settings, removed: false };
    }
    case 'IdentityProviderChanged':
      return state && { ...state, ...withoutUndefined(event.data) };
    case 'IdentityProviderRemoved':
      return state && { ...state, removed: true };
    default:
      return state;
  }
}

/** What the organisation has that a provider's settings may point at. */
export interface ProviderContext {
  /** Ids of the organisation's groups (mapped groups must be among them). */
  groupIds: ReadonlySet<string>;
}

type ProviderEvent = NewEvent<PlatformEvent>;

export function decideAddProvider(settings: ProviderSettings, context: ProviderContext): ProviderEvent[] {
  checkSettings(settings, context);
  return [{ type: 'IdentityProviderAdded', data: { type: 'oidc', ...settings } }];
}

/** Only what differs is recorded; nothing differing records nothing. */
export function decideChangeProvider(
  state: IdentityProviderState,
  changes: Partial<ProviderSettings>,
  context: ProviderContext,
): ProviderEvent[] {
  checkSettings({ ...state, ...withoutUndefined(changes) }, context);
  const changed: Partial<ProviderSettings> = {};
  for (const key of Object.keys(changes) as (keyof ProviderSettings)[]) {
    const value = changes[key];
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(state[key]))
      (changed as Record<string, unknown>)[key] = value;
  }
  return Object.keys(changed).length ? [{ type: 'IdentityProviderChanged', data: changed }] : [];
}

export function decideRemoveProvider(): ProviderEvent[] {
  return [{ type: 'IdentityProviderRemoved', data: {} }];
}

const invalid = (message: string, field: string) =>
  new IdentityError(IdentityErrorCode.InvalidProvider, message, { details: { field } });

/**
 * Settings that cannot work are refused before anything is stored: the issuer must be an https URL
 * (plain http only on this machine's loopback, for development), without query or fragment; the
 * scopes must ask for `openid`; every mapped group must be a group of the organisation.
 */
export function checkSettings(settings: ProviderSettings, context: ProviderContext): void {
  let issuer: URL;
  try {
    issuer = new URL(settings.issuer);
  } catch {
    throw invalid('issuer is not a URL', 'issuer');
  }
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname)))
    throw invalid('issuer must be an https:// URL (http:// only on a loopback address)', 'issuer');
  if (issuer.search || issuer.hash || issuer.username || issuer.password)
    throw invalid('issuer must not have a query, a fragment or user info', 'issuer');
  if (!settings.scopes.includes('openid')) throw invalid('scopes must include "openid"', 'scopes');
  for (const [providerGroup, groupIds] of Object.entries(settings.claimMappings.groups)) {
    for (const groupId of groupIds) {
      if (!context.groupIds.has(groupId))
        throw invalid(
          `claim_mappings.groups["${providerGroup}"] names ${groupId}, which is not a group of your organisation`,
          'claim_mappings',
        );
    }
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
