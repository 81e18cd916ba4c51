import {
  actorOf,
  newId,
  requireRole,
  type Page,
  type PolicyCommand,
  type PolicyView,
  type Principal,
  type ResourceView,
  type SimulationView,
} from '@rustronaut/contracts';
import { commitAndWait, retryOnConflict } from '@rustronaut/eventstore';
import { decide } from '@rustronaut/policy-engine';
import { definedOnly, evolvePolicy, fold } from '../domain/aggregates';
import { PolicyError, PolicyErrorCode, notFound } from '../domain/errors';
import type { PolicyDeps } from './policy-deps';

type Body<
  P extends
    'policy.policies.create' | 'policy.policies.update' | 'policy.policies.delete' | 'policy.simulate',
> = Omit<PolicyCommand<P>, 'principal'>;

export class PolicyUseCases {
  constructor(private readonly deps: PolicyDeps) {}

  async create(principal: Principal, { policy }: Body<'policy.policies.create'>): Promise<PolicyView> {
    requireRole(principal, 'admin');
    const id = newId('pol');
    await commitAndWait(this.deps, { type: 'policy', id }, 0, [{ type: 'PolicyCreated', data: policy }], {
      orgId: principal.orgId,
      actor: actorOf(principal),
    });
    return this.get(principal, id);
  }

  async get(principal: Principal, id: string): Promise<PolicyView> {
    const view = await this.deps.queries.policy({ orgId: principal.orgId }, id);
    if (!view) throw notFound('policy', id);
    return view;
  }

  list(principal: Principal, cursor: string | undefined, limit: number): Promise<Page<PolicyView>> {
    return this.deps.queries.policies({ orgId: principal.orgId }, cursor, limit);
  }

  async update(
    principal: Principal,
    { id, expectedVersion, changes }: Body<'policy.policies.update'>,
  ): Promise<PolicyView> {
    requireRole(principal, 'admin');
    return retryOnConflict(expectedVersion, async () => {
      const version = await this.#existing(principal, id);
      await commitAndWait(
        this.deps,
        { type: 'policy', id },
        expectedVersion ?? version,
        [{ type: 'PolicyUpdated', data: definedOnly(changes) }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
      return this.get(principal, id);
    });
  }

  async delete(
    principal: Principal,
    { id, expectedVersion }: Body<'policy.policies.delete'>,
  ): Promise<{ deleted: true }> {
    requireRole(principal, 'admin');
    return retryOnConflict(expectedVersion, async () => {
      const version = await this.#existing(principal, id);
      await commitAndWait(
        this.deps,
        { type: 'policy', id },
        expectedVersion ?? version,
        [{ type: 'PolicyDeleted', data: {} }],
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
        },
      );
      return { deleted: true as const };
    });
  }

  /** "May user U reach resource R from IP X at time T, and which rule decides?" — the gateway's own engine. */
  async simulate(principal: Principal, request: Body<'policy.simulate'>): Promise<SimulationView> {
    requireRole(principal, 'admin');
    const resource = await this.#simulated(principal, request);
    const user =
      request.userId === null
        ? null
        : { id: request.userId, ...(await this.deps.userAccess(principal, request.userId)) };
    const policies = await this.deps.queries.allPolicies({ orgId: principal.orgId });
    const decision = decide(policies, resource.id, {
      user,
      ip: request.ip,
      country: request.country,
      path: request.path,
      method: request.method,
      at: request.at ? new Date(request.at) : this.deps.clock(),
    });
    return { resourceId: resource.id, ...decision, evaluated: policies.length };
  }

  /** The resource named, or the one the gateway routes the host and path to (longest prefix). */
  async #simulated(principal: Principal, request: Body<'policy.simulate'>): Promise<ResourceView> {
    const scope = { orgId: principal.orgId };
    if (request.resourceId !== undefined) {
      const resource = await this.deps.queries.resource(scope, request.resourceId);
      if (!resource) throw notFound('resource', request.resourceId);
      return resource;
    }
    if (request.host === undefined)
      throw new PolicyError(PolicyErrorCode.InvalidResource, 'give resource_id, or host (and path)', {
        details: { field: 'resource_id' },
      });
    const host = request.host.toLowerCase();
    const resource = await this.deps.queries.resourceByHost(scope, host, request.path);
    if (!resource) throw notFound('resource serving', `${host}${request.path}`);
    return resource;
  }

  async #existing(principal: Principal, id: string): Promise<number> {
    const loaded = await this.deps.store.load({ type: 'policy', id });
    const policy = fold(loaded.events, evolvePolicy);
    if (!policy || policy.deleted || policy.orgId !== principal.orgId) throw notFound('policy', id);
    return loaded.version;
  }
}
