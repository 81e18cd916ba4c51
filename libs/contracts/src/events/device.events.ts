import { z } from 'zod';
import { IdSchema, NameSchema } from '../fields';
import { defineEvent } from '../event-definition';

// WireGuard devices: a person's laptop or phone in a site's VPN. The device holds its private key;
// the console keeps only the public key and the address it assigned from the site's subnet.

/** 44 characters of base64 of 32 bytes: a WireGuard (X25519) public key. */
export const WireGuardPublicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'is not a WireGuard public key (44 characters of base64)');
export const DeviceAddressSchema = z.union([z.ipv4(), z.ipv6()]);

export const DeviceDataSchema = z.strictObject({
  siteId: IdSchema,
  userId: IdSchema,
  name: NameSchema,
  publicKey: WireGuardPublicKeySchema,
  address: DeviceAddressSchema,
});
export type DeviceData = z.infer<typeof DeviceDataSchema>;

export const DeviceRegistered = defineEvent({
  type: 'DeviceRegistered',
  aggregate: 'device',
  schema: DeviceDataSchema,
});
export const DeviceRevoked = defineEvent({
  type: 'DeviceRevoked',
  aggregate: 'device',
  schema: z.strictObject({}),
});

// The addresses (and public keys) of a site's devices, in one aggregate per site (id: the site id),
// so two devices never get one address or one key, whatever the timing.
export const DeviceAddressAssigned = defineEvent({
  type: 'DeviceAddressAssigned',
  aggregate: 'site_addresses',
  schema: z.strictObject({
    deviceId: IdSchema,
    address: DeviceAddressSchema,
    publicKey: WireGuardPublicKeySchema,
  }),
});
export const DeviceAddressReleased = defineEvent({
  type: 'DeviceAddressReleased',
  aggregate: 'site_addresses',
  schema: z.strictObject({ deviceId: IdSchema }),
});

export const deviceEvents = [
  DeviceRegistered,
  DeviceRevoked,
  DeviceAddressAssigned,
  DeviceAddressReleased,
] as const;
