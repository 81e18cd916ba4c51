import { z } from 'zod';
import { IdSchema, NameSchema } from '../fields';
import { WireGuardPublicKeySchema } from '../events/device.events';
import { PrincipalSchema } from './principal';

const Authed = { principal: PrincipalSchema };

/** Request schemas of the devices (WireGuard peers) the policy service keeps, by NATS pattern. */
export const DeviceRequests = {
  'policy.devices.create': z.object({
    ...Authed,
    device: z.strictObject({
      name: NameSchema,
      siteId: IdSchema,
      publicKey: WireGuardPublicKeySchema.optional(),
    }),
  }),
  'policy.devices.list': z.object({ ...Authed, userId: IdSchema.optional() }),
  'policy.devices.get': z.object({ ...Authed, id: IdSchema }),
  'policy.devices.revoke': z.object({ ...Authed, id: IdSchema }),
} as const;

export type DevicePattern = keyof typeof DeviceRequests;
export type DeviceRequest<P extends DevicePattern> = z.input<(typeof DeviceRequests)[P]>;
export type DeviceCommand<P extends DevicePattern> = z.output<(typeof DeviceRequests)[P]>;

/** A device as the API shows it. `privateKey` only in the answer that created it, when the console made the pair. */
export interface DeviceView {
  id: string;
  orgId: string;
  siteId: string;
  userId: string;
  name: string;
  publicKey: string;
  address: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface DeviceResponses {
  'policy.devices.create': DeviceView & { privateKey?: string };
  'policy.devices.list': DeviceView[];
  'policy.devices.get': DeviceView;
  'policy.devices.revoke': { revoked: true };
}

/** The request header that carries a device's private key to render its config (never stored). */
export const DEVICE_KEY_HEADER = 'x-rustronaut-device-key';
