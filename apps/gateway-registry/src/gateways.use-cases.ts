import {
  DomainError,
  GatewaySettingsSchema,
  actorOf,
  issueSecret,
  newId,
  parseSecret,
  requireRole,
  secretMatches,
  type DnsRecord,
  type GatewayView,
  type Page,
  type PlatformEvent,
  type PlatformEventDefinition,
  type Principal,
  type RegistryCommand,
  type RegistryResponses,
  type ResourceView,
} from '@rustronaut/contracts';
import {
  commitAndWait,
  retryOnConflict,
  type EventStore,
  type ProjectionRunner,
} from '@rustronaut/eventstore';
import type { GatewayQueries } from './gateway.queries';

/** Codes raised by the gateway registry (see docs/errors.md). */
export enum RegistryErrorCode {
  NotFound = 'REGISTRY_NOT_FOUND',
  InvalidEnrollmentToken = 'REGISTRY_INVALID_ENROLLMENT_TOKEN',
  UnknownSite = 'REGISTRY_UNKNOWN_SITE',
}

export class RegistryError extends DomainError<RegistryErrorCode> {}

const notFound = (id: string) =>
  new RegistryError(RegistryErrorCode.NotFound, `gateway ${id} does not exist in your organisation`);

export interface RegistryDeps {
  store: EventStore<PlatformEventDefinition>;
  readModel: ProjectionRunner<PlatformEventDefinition>;
  queries: GatewayQueries;
  /** Does this site exist in the caller's organisation? (asks the policy service) */
  siteExists(principal: Principal, siteId: string): Promise<boolean>;
  resource(principal: Principal, resourceId: string): Promise<ResourceView>;
  /** A NATS user JWT for the gateway's nkey: its sites' config, its own reports, nothing else. */
  natsUserJwt(gatewayId: string, orgId: string, siteIds: string[], natsPublicKey: string): Promise<string>;
  /** Tells an enrolled gateway that the sites it serves, or its WireGuard port, changed. */
  assignmentChanged(gatewayId: string): Promise<void>;
  /** Re-issues the account with every deleted gateway's NATS user revoked, and pushes it to NATS. */
  revokeDeletedGateways(): Promise<void>;

  enrollmentTtlSeconds: number;
  heartbeatIntervalSeconds: number;
  clock: () => Date;
}

interface GatewayState {
  orgId: string;
  enrollmentTokenHash: string;
  enrollmentExpiresAt: string;
  enrolled: boolean;
  deleted: boolean;
}

function evolve(state: GatewayState | undefined, event: PlatformEvent): GatewayState | undefined {
  switch (event.type) {
    case 'GatewayCreated':
      return {
        orgId: event.orgId,
        enrollmentTokenHash: event.data.enrollmentTokenHash,
        enrollmentExpiresAt: event.data.enrollmentExpiresAt,
        enrolled: false,
        deleted: false,
      };
    case 'GatewayEnrolled':
      return state && { ...state, enrolled: true };
    case 'GatewayDeleted':
      return state && { ...state, deleted: true };
    default:
      return state;
  }
}

export class GatewayUseCases {
  constructor(private readonly deps: RegistryDeps) {}

  async create(
    principal: Principal,
    { gateway }: Omit<RegistryCommand<'registry.gateways.create'>, 'principal'>,
  ) {
    requireRole(principal, 'admin');
    await this.#checkSites(principal, gateway.siteIds);
    const id = newId('gw');
    const token = issueSecret('rng', id);
    const enrollmentExpiresAt = new Date(
      this.deps.clock().getTime() + this.deps.enrollmentTtlSeconds * 1000,
    ).toISOString();
    await commitAndWait(
      this.deps,
      { type: 'gateway', id },
      0,
      [
        {
          type: 'GatewayCreated',
          data: { ...gateway, enrollmentTokenHash: token.hash, enrollmentExpiresAt },
        },
      ],
      { orgId: principal.orgId, actor: actorOf(principal) },
    );
    return { ...(await this.get(principal, id)), enrollmentToken: token.token, enrollmentExpiresAt };
  }

  async get(principal: Principal, id: string): Promise<GatewayView> {
    const view = await this.deps.queries.gateway({ orgId: principal.orgId }, id);
    if (!view) throw notFound(id);
    return view;
  }

  list(principal: Principal, cursor: string | undefined, limit: number): Promise<Page<GatewayView>> {
    return this.deps.queries.gateways({ orgId: principal.orgId }, cursor, limit);
  }

  async update(
    principal: Principal,
    { id, expectedVersion, changes }: Omit<RegistryCommand<'registry.gateways.update'>, 'principal'>,
  ) {
    requireRole(principal, 'admin');
    if (changes.siteIds) await this.#checkSites(principal, changes.siteIds);
    return retryOnConflict(expectedVersion, async () => {
      const { version } = await this.#load(principal, id);
      await commitAndWait(
        this.deps,
        { type: 'gateway', id },
        expectedVersion ?? version,
        [{ type: 'GatewayConfigUpdated', data: changes }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
      if (changes.siteIds || changes.wireguardPort !== undefined) await this.deps.assignmentChanged(id);
      return this.get(principal, id);
    });
  }

  /** Deletes a gateway; its NATS user is revoked at once and its reports are no longer accepted. */
  async delete(principal: Principal, id: string): Promise<{ deleted: true }> {
    requireRole(principal, 'admin');
    await retryOnConflict(undefined, async () => {
      const { version } = await this.#load(principal, id);
      await commitAndWait(
        this.deps,
        { type: 'gateway', id },
        version,
        [{ type: 'GatewayDeleted', data: {} }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    });
    await this.deps.revokeDeletedGateways();
    return { deleted: true };
  }

  /** A gateway trades its single-use token for its identity: the console keeps only its public key. */
  async enroll({
    token,
    publicKey,
    natsPublicKey,
  }: RegistryCommand<'registry.gateways.enroll'>): Promise<RegistryResponses['registry.gateways.enroll']> {
    const invalid = (why: string) => new RegistryError(RegistryErrorCode.InvalidEnrollmentToken, why);
    const parsed = parseSecret('rng', token);
    if (!parsed) throw invalid('this is not an enrolment token');
    const loaded = await this.deps.store.load({ type: 'gateway', id: parsed.id });
    const state = loaded.events.reduce<GatewayState | undefined>(evolve, undefined);
    if (!state || state.deleted || !secretMatches(parsed.secret, state.enrollmentTokenHash))
      throw invalid('unknown enrolment token');
    if (state.enrolled) throw invalid('this enrolment token was already used: create a new gateway');
    if (new Date(state.enrollmentExpiresAt).getTime() < this.deps.clock().getTime())
      throw invalid('this enrolment token expired');
    // The expected version makes the token single-use even when two gateways race with it.
    await commitAndWait(
      this.deps,
      { type: 'gateway', id: parsed.id },
      loaded.version,
      [{ type: 'GatewayEnrolled', data: { publicKey, natsPublicKey } }],
      {
        orgId: state.orgId,
        actor: { kind: 'gateway', id: parsed.id },
      },
    );
    const view = await this.deps.queries.gateway({ orgId: state.orgId }, parsed.id);
    return {
      gatewayId: parsed.id,
      orgId: state.orgId,
      siteIds: view?.siteIds ?? [],
      heartbeatIntervalS: this.deps.heartbeatIntervalSeconds,
      natsJwt: await this.deps.natsUserJwt(parsed.id, state.orgId, view?.siteIds ?? [], natsPublicKey),
      wireguardPort: view?.wireguardPort ?? GatewaySettingsSchema.shape.wireguardPort.parse(undefined),
    };
  }

  /** The DNS records to create for a resource: one per domain and gateway serving its site. */
  async dns(
    principal: Principal,
    resourceId: string,
  ): Promise<{ resourceId: string; records: DnsRecord[]; notes: string[] }> {
    const resource = await this.deps.resource(principal, resourceId);
    const gateways = await this.deps.queries.servingSite({ orgId: principal.orgId }, resource.siteId);
    const records: DnsRecord[] = [];
    const notes: string[] = [];
    if (gateways.length === 0)
      notes.push(`no gateway serves site ${resource.siteId} yet: create one with POST /api/v1/gateways`);
    for (const gateway of gateways) {
      if (resource.protocol !== 'http') {
        const where = gateway.publicIp ?? gateway.hostname;
        if (where)
          notes.push(
            `${resource.protocol} resource: clients connect to ${where}:${resource.publicPort} (gateway ${gateway.id})`,
          );
        continue;
      }
      for (const domain of resource.domains) {
        if (gateway.hostname)
          records.push({ type: 'CNAME', name: domain, value: gateway.hostname, gatewayId: gateway.id });
        else if (gateway.publicIp)
          records.push({
            type: gateway.publicIp.includes(':') ? 'AAAA' : 'A',
            name: domain,
            value: gateway.publicIp,
            gatewayId: gateway.id,
          });
        else
          notes.push(
            `gateway ${gateway.id} has neither hostname nor public_ip: set one with PUT /api/v1/gateways/${gateway.id}/config`,
          );
      }
    }
    if (resource.protocol === 'http' && resource.pathPrefix !== null && resource.domains.length > 0)
      notes.push(
        `this resource answers under ${resource.pathPrefix} of ${resource.domains.join(', ')}: a domain's records ` +
          'serve every resource on it by path, so create each record once (other paths may belong to other resources)',
      );
    return { resourceId, records, notes };
  }

  async #checkSites(principal: Principal, siteIds: string[]): Promise<void> {
    for (const siteId of siteIds) {
      if (!(await this.deps.siteExists(principal, siteId))) {
        throw new RegistryError(
          RegistryErrorCode.UnknownSite,
          `site ${siteId} does not exist in your organisation`,
          { details: { field: 'site_ids' } },
        );
      }
    }
  }

  async #load(principal: Principal, id: string): Promise<{ version: number }> {
    const loaded = await this.deps.store.load({ type: 'gateway', id });
    const state = loaded.events.reduce<GatewayState | undefined>(evolve, undefined);
    if (!state || state.deleted || state.orgId !== principal.orgId) throw notFound(id);
    return { version: loaded.version };
  }
}
