import { randomBytes } from 'node:crypto';
import {
  actorOf,
  issueSecret,
  newId,
  requireRole,
  ResourceDataSchema,
  type Page,
  type PolicyCommand,
  type Principal,
  type ResourceView,
  type ServiceView,
} from '@rustronaut/contracts';
import { commitAndWait } from '@rustronaut/eventstore';
import { PolicyError, PolicyErrorCode, notFound } from '../domain/errors';
import type { PolicyDeps } from './policy-deps';
import type { ResourceUseCases } from './resources.use-cases';

/** Where exposed services live on the public side (from the console's settings). */
export interface ExposureSettings {
  baseDomain: string;
  httpsPort: number;
  tunnelEndpoint: string;
  ports: { from: number; to: number };
}

const WORDS = ['dev', 'app', 'api', 'web', 'demo', 'test', 'beta', 'live', 'edge', 'local'];
const NOUNS = ['server', 'service', 'preview', 'box', 'node', 'site', 'port', 'lab'];

/** `dev-server-3f9a1c`: random, readable, and short enough for a subdomain. */
export function readableName(): string {
  const bytes = randomBytes(5);
  return `${WORDS[bytes[0]! % WORDS.length]}-${NOUNS[bytes[1]! % NOUNS.length]}-${bytes.subarray(2).toString('hex')}`;
}

/**
 * Exposed services (`rustronaut expose`): each is a resource of a site whose one target is the
 * tunnel of the client that exposed it (`tunnel:<name>`), so the gateway routes, authenticates,
 * firewalls and logs it like any other resource. Members may expose services; an admin may also
 * manage them as resources.
 */
export class ServiceUseCases {
  constructor(
    private readonly deps: PolicyDeps,
    private readonly resources: ResourceUseCases,
    private readonly settings: ExposureSettings,
  ) {}

  async expose(
    principal: Principal,
    { service }: Omit<PolicyCommand<'policy.services.expose'>, 'principal'>,
  ): Promise<ServiceView> {
    requireRole(principal, 'member');
    const siteId = service.siteId ?? (await this.#defaultSite(principal));
    const name = service.subdomain ?? readableName();
    const id = newId('res');
    const { token, hash } = issueSecret('rnt', id);
    const policyId = service.authRequired ? newId('pol') : null;
    const resource = ResourceDataSchema.parse({
      siteId,
      name,
      protocol: service.protocol,
      domains: service.protocol === 'http' ? [`${name}.${this.settings.baseDomain}`] : [],
      authRequired: service.authRequired,
      tunnel: { localAddress: service.localAddress, tokenHash: hash, exposedBy: principal.userId, policyId },
    });
    const targets = [
      {
        address: `tunnel:${name}`,
        protocol: service.protocol,
        weight: 1,
        region: null,
        healthCheck: null,
      },
    ];
    const created =
      service.protocol === 'http'
        ? await this.resources.createAs(principal, resource, targets, id)
        : await this.#createOnFreePort(principal, { ...resource }, targets, id);
    if (policyId) {
      // Signed-in users of the organisation may use it; deny policies of the org still apply.
      await commitAndWait(
        this.deps,
        { type: 'policy', id: policyId },
        0,
        [
          {
            type: 'PolicyCreated',
            data: {
              name: `Signed-in users may use the exposed service ${name}`,
              effect: 'allow',
              resourceIds: [id],
              subjects: { users: [], groups: [], roles: [], anyAuthenticated: true },
              conditions: { sourceCidrs: [], countries: [], paths: [], methods: [], timeWindows: [] },
            },
          },
        ],
        { orgId: principal.orgId, actor: actorOf(principal) },
      );
    }
    const view = this.#view(created);
    return { ...view, tunnel: { ...view.tunnel, token } };
  }

  async get(principal: Principal, id: string): Promise<ServiceView> {
    const resource = await this.deps.queries.resource({ orgId: principal.orgId }, id);
    if (!resource?.tunnel) throw notFound('service', id);
    return this.#view(resource);
  }

  async list(principal: Principal, cursor: string | undefined, limit: number): Promise<Page<ServiceView>> {
    const page = await this.deps.queries.resources(
      { orgId: principal.orgId, exposedServices: true },
      cursor,
      limit,
    );
    return { items: page.items.map((r) => this.#view(r)), nextCursor: page.nextCursor };
  }

  /** Members may un-expose what they exposed; admins anything of the organisation. */
  async unexpose(principal: Principal, id: string): Promise<{ deleted: true }> {
    const service = await this.get(principal, id);
    if (service.exposedBy !== principal.userId) requireRole(principal, 'admin');
    const resource = await this.deps.queries.resource({ orgId: principal.orgId }, id);
    await this.resources.deleteAs(principal, { id, expectedVersion: undefined });
    const policyId = resource?.tunnel?.policyId;
    if (policyId) {
      await commitAndWait(
        this.deps,
        { type: 'policy', id: policyId },
        'any',
        [{ type: 'PolicyDeleted', data: {} }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
    }
    return { deleted: true };
  }

  async #defaultSite(principal: Principal): Promise<string> {
    const sites = await this.deps.queries.sites({ orgId: principal.orgId }, undefined, 1);
    const site = sites.items[0];
    if (!site) {
      throw new PolicyError(
        PolicyErrorCode.NoSiteForService,
        'the organisation has no site to expose services on: create one (POST /api/v1/sites) or pass site_id',
      );
    }
    return site.id;
  }

  /** A TCP or UDP service gets the first free port of the range, starting at a random one. */
  async #createOnFreePort(
    principal: Principal,
    resource: ReturnType<typeof ResourceDataSchema.parse>,
    targets: Parameters<ResourceUseCases['createAs']>[2],
    id: string,
  ): Promise<ResourceView> {
    const { from, to } = this.settings.ports;
    const size = to - from + 1;
    const start = randomBytes(4).readUInt32BE() % size;
    for (let i = 0; i < Math.min(size, 64); i++) {
      const port = from + ((start + i) % size);
      try {
        return await this.resources.createAs(principal, { ...resource, publicPort: port }, targets, id);
      } catch (error) {
        if (!(error instanceof PolicyError && error.code === PolicyErrorCode.PortInUse)) throw error;
      }
    }
    throw new PolicyError(
      PolicyErrorCode.NoFreePort,
      `no free public port in ${from}-${to} on this site: un-expose a TCP/UDP service or widen RN_TUNNEL_PORTS`,
    );
  }

  #view(resource: ResourceView): ServiceView {
    const tunnel = resource.tunnel;
    if (!tunnel) throw notFound('service', resource.id);
    const { baseDomain, httpsPort } = this.settings;
    const host = resource.domains[0] ?? baseDomain;
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    const publicUrl =
      resource.protocol === 'http'
        ? `https://${host}${port}`
        : `${resource.protocol}://${baseDomain}:${resource.publicPort ?? 0}`;
    return {
      id: resource.id,
      orgId: resource.orgId,
      siteId: resource.siteId,
      name: resource.name,
      protocol: resource.protocol,
      localAddress: tunnel.localAddress,
      publicUrl,
      authRequired: resource.authRequired,
      status: 'exposed',
      dnsRecord:
        resource.protocol === 'http'
          ? { type: 'CNAME', name: host, value: baseDomain }
          : { type: 'A', name: baseDomain, value: '<the gateway’s public address>' },
      tunnel: { endpoint: this.settings.tunnelEndpoint },
      exposedBy: tunnel.exposedBy,
      createdAt: resource.createdAt,
    };
  }
}
