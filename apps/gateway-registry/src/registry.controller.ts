import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RegistryRequests, type RegistryCommand, type RegistryPattern } from '@rustronaut/contracts';
import { parseRequest } from '@rustronaut/messaging';
import { GatewayUseCases } from './gateways.use-cases';
import { GatewayQueries } from './gateway.queries';
import { siteWireGuardView } from './site-wireguard';

const parse = <P extends RegistryPattern>(pattern: P, payload: unknown): RegistryCommand<P> =>
  parseRequest(RegistryRequests[pattern], payload) as RegistryCommand<P>;

@Controller()
export class RegistryController {
  constructor(
    @Inject(GatewayUseCases) private readonly gateways: GatewayUseCases,
    @Inject(GatewayQueries) private readonly queries: GatewayQueries,
  ) {}

  @MessagePattern('registry.gateways.create')
  create(@Payload() p: unknown) {
    const { principal, ...rest } = parse('registry.gateways.create', p);
    return this.gateways.create(principal, rest);
  }

  @MessagePattern('registry.gateways.list')
  list(@Payload() p: unknown) {
    const { principal, cursor, limit } = parse('registry.gateways.list', p);
    return this.gateways.list(principal, cursor, limit);
  }

  @MessagePattern('registry.gateways.get')
  get(@Payload() p: unknown) {
    const { principal, id } = parse('registry.gateways.get', p);
    return this.gateways.get(principal, id);
  }

  @MessagePattern('registry.gateways.update')
  update(@Payload() p: unknown) {
    const { principal, ...rest } = parse('registry.gateways.update', p);
    return this.gateways.update(principal, rest);
  }

  @MessagePattern('registry.gateways.delete')
  delete(@Payload() p: unknown) {
    const { principal, id } = parse('registry.gateways.delete', p);
    return this.gateways.delete(principal, id);
  }

  @MessagePattern('registry.gateways.enroll')
  enroll(@Payload() p: unknown) {
    return this.gateways.enroll(parse('registry.gateways.enroll', p));
  }

  @MessagePattern('registry.dns')
  dns(@Payload() p: unknown) {
    const { principal, resourceId } = parse('registry.dns', p);
    return this.gateways.dns(principal, resourceId);
  }

  @MessagePattern('registry.wireguard.site')
  async wireguard(@Payload() p: unknown) {
    const { principal, siteId } = parse('registry.wireguard.site', p);
    return siteWireGuardView(siteId, await this.queries.siteWireGuard({ orgId: principal.orgId }, siteId));
  }
}
