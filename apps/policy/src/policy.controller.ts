import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PolicyRequests, type PolicyCommand, type PolicyPattern } from '@rustronaut/contracts';
import { parseRequest } from '@rustronaut/messaging';
import { PolicyUseCases } from './use-cases/policies.use-cases';
import { ResourceAccessUseCases } from './use-cases/resource-access.use-cases';
import { ResourceUseCases } from './use-cases/resources.use-cases';
import { SiteUseCases } from './use-cases/sites.use-cases';
import { ServiceUseCases } from './use-cases/services.use-cases';

const parse = <P extends PolicyPattern>(pattern: P, payload: unknown): PolicyCommand<P> =>
  parseRequest(PolicyRequests[pattern], payload) as PolicyCommand<P>;

/** NATS request/reply handlers: parse, call one use case. */
@Controller()
export class PolicyController {
  constructor(
    @Inject(SiteUseCases) private readonly sites: SiteUseCases,
    @Inject(ResourceUseCases) private readonly resources: ResourceUseCases,
    @Inject(ResourceAccessUseCases) private readonly access: ResourceAccessUseCases,
    @Inject(PolicyUseCases) private readonly policies: PolicyUseCases,
    @Inject(ServiceUseCases) private readonly services: ServiceUseCases,
  ) {}

  @MessagePattern('policy.sites.connector')
  issueConnectorToken(@Payload() p: unknown) {
    const { principal, id } = parse('policy.sites.connector', p);
    return this.sites.issueConnectorToken(principal, id);
  }

  @MessagePattern('policy.services.expose')
  exposeService(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.services.expose', p);
    return this.services.expose(principal, rest);
  }

  @MessagePattern('policy.services.list')
  listServices(@Payload() p: unknown) {
    const { principal, cursor, limit } = parse('policy.services.list', p);
    return this.services.list(principal, cursor, limit);
  }

  @MessagePattern('policy.services.get')
  getService(@Payload() p: unknown) {
    const { principal, id } = parse('policy.services.get', p);
    return this.services.get(principal, id);
  }

  @MessagePattern('policy.services.unexpose')
  unexposeService(@Payload() p: unknown) {
    const { principal, id } = parse('policy.services.unexpose', p);
    return this.services.unexpose(principal, id);
  }

  @MessagePattern('policy.sites.create')
  createSite(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.sites.create', p);
    return this.sites.create(principal, rest);
  }

  @MessagePattern('policy.sites.list')
  listSites(@Payload() p: unknown) {
    const { principal, cursor, limit } = parse('policy.sites.list', p);
    return this.sites.list(principal, cursor, limit);
  }

  @MessagePattern('policy.sites.get')
  getSite(@Payload() p: unknown) {
    const { principal, id } = parse('policy.sites.get', p);
    return this.sites.get(principal, id);
  }

  @MessagePattern('policy.sites.update')
  updateSite(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.sites.update', p);
    return this.sites.update(principal, rest);
  }

  @MessagePattern('policy.sites.delete')
  deleteSite(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.sites.delete', p);
    return this.sites.delete(principal, rest);
  }

  @MessagePattern('policy.resources.create')
  createResource(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.resources.create', p);
    return this.resources.create(principal, rest);
  }

  @MessagePattern('policy.resources.list')
  listResources(@Payload() p: unknown) {
    const { principal, siteId, cursor, limit } = parse('policy.resources.list', p);
    return this.resources.list(principal, siteId, cursor, limit);
  }

  @MessagePattern('policy.resources.get')
  getResource(@Payload() p: unknown) {
    const { principal, id } = parse('policy.resources.get', p);
    return this.resources.get(principal, id);
  }

  @MessagePattern('policy.resources.byHost')
  resourceByHost(@Payload() p: unknown) {
    const { principal, host, path } = parse('policy.resources.byHost', p);
    return this.resources.byHost(principal, host, path);
  }

  @MessagePattern('policy.resources.setAccessSecret')
  setAccessSecret(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.resources.setAccessSecret', p);
    return this.access.setAccessSecret(principal, rest);
  }

  @MessagePattern('policy.shareLinks.create')
  createShareLink(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.shareLinks.create', p);
    return this.access.createShareLink(principal, rest);
  }

  @MessagePattern('policy.shareLinks.list')
  listShareLinks(@Payload() p: unknown) {
    const { principal, resourceId } = parse('policy.shareLinks.list', p);
    return this.access.list(principal, resourceId);
  }

  @MessagePattern('policy.shareLinks.revoke')
  revokeShareLink(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.shareLinks.revoke', p);
    return this.access.revoke(principal, rest);
  }

  @MessagePattern('policy.resources.update')
  updateResource(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.resources.update', p);
    return this.resources.update(principal, rest);
  }

  @MessagePattern('policy.resources.delete')
  deleteResource(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.resources.delete', p);
    return this.resources.delete(principal, rest);
  }

  @MessagePattern('policy.targets.add')
  addTarget(@Payload() p: unknown) {
    const { principal, resourceId, target } = parse('policy.targets.add', p);
    return this.resources.addTarget(principal, resourceId, target);
  }

  @MessagePattern('policy.targets.list')
  listTargets(@Payload() p: unknown) {
    const { principal, resourceId } = parse('policy.targets.list', p);
    return this.resources.targets(principal, resourceId);
  }

  @MessagePattern('policy.targets.update')
  updateTarget(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.targets.update', p);
    return this.resources.updateTarget(principal, rest);
  }

  @MessagePattern('policy.targets.remove')
  removeTarget(@Payload() p: unknown) {
    const { principal, resourceId, targetId } = parse('policy.targets.remove', p);
    return this.resources.removeTarget(principal, resourceId, targetId);
  }

  @MessagePattern('policy.policies.create')
  createPolicy(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.policies.create', p);
    return this.policies.create(principal, rest);
  }

  @MessagePattern('policy.policies.list')
  listPolicies(@Payload() p: unknown) {
    const { principal, cursor, limit } = parse('policy.policies.list', p);
    return this.policies.list(principal, cursor, limit);
  }

  @MessagePattern('policy.policies.get')
  getPolicy(@Payload() p: unknown) {
    const { principal, id } = parse('policy.policies.get', p);
    return this.policies.get(principal, id);
  }

  @MessagePattern('policy.policies.update')
  updatePolicy(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.policies.update', p);
    return this.policies.update(principal, rest);
  }

  @MessagePattern('policy.policies.delete')
  deletePolicy(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.policies.delete', p);
    return this.policies.delete(principal, rest);
  }

  @MessagePattern('policy.simulate')
  simulate(@Payload() p: unknown) {
    const { principal, ...rest } = parse('policy.simulate', p);
    return this.policies.simulate(principal, rest);
  }
}
