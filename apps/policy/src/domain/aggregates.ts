import type {
  PlatformEvent,
  ResourceData,
  SiteData,
  StoredTokenIssuer,
  TargetData,
} from '@rustronaut/contracts';

/** State folded from events, for deciding. Pure: `evolve(state, event) → state`. */
export interface SiteState extends SiteData {
  orgId: string;
  deleted: boolean;
  /** `tcp/5432` → the resource bound to it. */
  ports: Map<string, string>;
}

export interface ResourceState extends ResourceData {
  orgId: string;
  deleted: boolean;
  targets: Map<string, TargetData>;
  /** Which of its PIN / password are set. */
  secrets: { pin: boolean; password: boolean };
  shareLinks: Map<string, ShareLinkState>;
  /** Its trusted token issuers, by id. */
  tokenIssuers: Map<string, TokenIssuerState>;
}

export interface TokenIssuerState extends StoredTokenIssuer {
  createdAt: string;
}

export interface ShareLinkState {
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface PolicyState {
  orgId: string;
  deleted: boolean;
}

export interface SubnetsState {
  /** site id → subnet */
  subnets: Map<string, string>;
}

export interface DomainState {
  resourceId: string | null;
  /** The organisation of the resource holding it (a refusal names the resource only to its own). */
  orgId: string | null;
}

type Evolve<S> = (state: S | undefined, event: PlatformEvent) => S | undefined;

export function fold<S>(events: readonly PlatformEvent[], evolve: Evolve<S>): S | undefined {
  return events.reduce<S | undefined>(evolve, undefined);
}

export const portKey = (protocol: string, port: number) => `${protocol}/${port}`;

export const evolveSite: Evolve<SiteState> = (state, event) => {
  switch (event.type) {
    case 'SiteCreated':
      return { ...event.data, orgId: event.orgId, deleted: false, ports: new Map() };
    case 'SiteUpdated':
      return state && { ...state, ...definedOnly(event.data) };
    case 'SiteDeleted':
      return state && { ...state, deleted: true };
    case 'SitePortClaimed':
      return (
        state && {
          ...state,
          ports: new Map(state.ports).set(
            portKey(event.data.protocol, event.data.port),
            event.data.resourceId,
          ),
        }
      );
    case 'SitePortReleased': {
      if (!state) return state;
      const ports = new Map(state.ports);
      ports.delete(portKey(event.data.protocol, event.data.port));
      return { ...state, ports };
    }
    default:
      return state;
  }
};

export const evolveResource: Evolve<ResourceState> = (state, event) => {
  switch (event.type) {
    case 'ResourceCreated':
      return {
        ...event.data,
        orgId: event.orgId,
        deleted: false,
        targets: new Map(),
        secrets: { pin: false, password: false },
        shareLinks: new Map(),
        tokenIssuers: new Map(),
      };
    case 'ResourceUpdated':
      return state && { ...state, ...definedOnly(event.data) };
    case 'ResourceDeleted':
      return state && { ...state, deleted: true };
    case 'ResourceTargetAdded': {
      if (!state) return state;
      const { targetId, ...target } = event.data;
      return { ...state, targets: new Map(state.targets).set(targetId, target) };
    }
    case 'ResourceTargetUpdated': {
      const current = state?.targets.get(event.data.targetId);
      if (!state || !current) return state;
      const { targetId, ...changes } = event.data;
      return {
        ...state,
        targets: new Map(state.targets).set(targetId, { ...current, ...definedOnly(changes) }),
      };
    }
    case 'ResourceTargetRemoved': {
      if (!state) return state;
      const targets = new Map(state.targets);
      targets.delete(event.data.targetId);
      return { ...state, targets };
    }
    case 'ResourceAccessSecretSet':
      return (
        state && { ...state, secrets: { ...state.secrets, [event.data.method]: event.data.hash !== null } }
      );
    case 'ResourceShareLinkCreated':
      return (
        state && {
          ...state,
          shareLinks: new Map(state.shareLinks).set(event.data.linkId, {
            createdAt: event.occurredAt,
            expiresAt: event.data.expiresAt,
            revokedAt: null,
          }),
        }
      );
    case 'ResourceShareLinkRevoked': {
      const link = state?.shareLinks.get(event.data.linkId);
      if (!state || !link) return state;
      return {
        ...state,
        shareLinks: new Map(state.shareLinks).set(event.data.linkId, {
          ...link,
          revokedAt: event.occurredAt,
        }),
      };
    }
    case 'ResourceTokenIssuerAdded': {
      if (!state) return state;
      const { issuerId, ...issuer } = event.data;
      return {
        ...state,
        tokenIssuers: new Map(state.tokenIssuers).set(issuerId, { ...issuer, createdAt: event.occurredAt }),
      };
    }
    case 'ResourceTokenIssuerRemoved': {
      if (!state) return state;
      const tokenIssuers = new Map(state.tokenIssuers);
      tokenIssuers.delete(event.data.issuerId);
      return { ...state, tokenIssuers };
    }
    default:
      return state;
  }
};

export const evolvePolicy: Evolve<PolicyState> = (state, event) => {
  switch (event.type) {
    case 'PolicyCreated':
      return { orgId: event.orgId, deleted: false };
    case 'PolicyDeleted':
      return state && { ...state, deleted: true };
    default:
      return state;
  }
};

export const evolveSubnets: Evolve<SubnetsState> = (state, event) => {
  switch (event.type) {
    case 'SiteSubnetRegistered':
      return { subnets: new Map(state?.subnets).set(event.data.siteId, event.data.subnet) };
    case 'SiteSubnetReleased': {
      const subnets = new Map(state?.subnets);
      subnets.delete(event.data.siteId);
      return { subnets };
    }
    default:
      return state;
  }
};

export const evolveDomain: Evolve<DomainState> = (state, event) => {
  switch (event.type) {
    case 'DomainClaimed':
      return { resourceId: event.data.resourceId, orgId: event.orgId };
    case 'DomainReleased':
      return { resourceId: null, orgId: null };
    default:
      return state;
  }
};

/** The keys of a partial update that were given (so `undefined` never erases a value). */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<T>;
}
