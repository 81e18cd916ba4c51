import { DeviceRequests, type DeviceResponses } from '@rustronaut/contracts';
import { messageHandlers, type MessageHandlers } from '@rustronaut/messaging';
import { DeviceUseCases } from './device.use-cases';

/** NATS request/reply handlers for WireGuard devices: each message type, parsed, to one use case. */
export const DevicesController = messageHandlers(
  'DevicesController',
  DeviceRequests,
  [DeviceUseCases],
  (devices: DeviceUseCases): MessageHandlers<typeof DeviceRequests, DeviceResponses> => ({
    'policy.devices.create': ({ principal, device }) => devices.create(principal, { device }),
    'policy.devices.list': ({ principal, userId }) => devices.list(principal, userId),
    'policy.devices.get': ({ principal, id }) => devices.get(principal, id),
    'policy.devices.revoke': ({ principal, id }) => devices.revoke(principal, id),
  }),
);
