import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DeviceRequests, type DeviceCommand, type DevicePattern } from '@rustronaut/contracts';
import { parseRequest } from '@rustronaut/messaging';
import { DeviceUseCases } from './device.use-cases';

const parse = <P extends DevicePattern>(pattern: P, payload: unknown): DeviceCommand<P> =>
  parseRequest(DeviceRequests[pattern], payload) as DeviceCommand<P>;

/** NATS request/reply handlers for WireGuard devices: parse, call one use case. */
@Controller()
export class DevicesController {
  constructor(@Inject(DeviceUseCases) private readonly devices: DeviceUseCases) {}

  @MessagePattern('policy.devices.create')
  create(@Payload() p: unknown) {
    const { principal, device } = parse('policy.devices.create', p);
    return this.devices.create(principal, { device });
  }

  @MessagePattern('policy.devices.list')
  list(@Payload() p: unknown) {
    const { principal, userId } = parse('policy.devices.list', p);
    return this.devices.list(principal, userId);
  }

  @MessagePattern('policy.devices.get')
  get(@Payload() p: unknown) {
    const { principal, id } = parse('policy.devices.get', p);
    return this.devices.get(principal, id);
  }

  @MessagePattern('policy.devices.revoke')
  revoke(@Payload() p: unknown) {
    const { principal, id } = parse('policy.devices.revoke', p);
    return this.devices.revoke(principal, id);
  }
}
