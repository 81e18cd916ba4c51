import { z } from 'zod';
import { IdSchema } from '../fields';
import { defineEvent } from '../event-definition';
import { patchOf } from './policy.events';

const Id = IdSchema;

export const GatewaySettingsSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  region: z.string().trim().min(1).max(64),
  instanceType: z.string().trim().min(1).max(64).default('standard'),
  siteIds: z.array(Id).min(1, 'a gateway serves at least one site').max(100),
  publicIp: z.union([z.ipv4(), z.ipv6()]).nullable().default(null),
  hostname: z
    .string()
    .regex(/^(?!-)[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/, 'is not a host name such as gw1.company.com')
    .nullable()
    .default(null),
  wireguardPort: z.number().int().min(1).max(65535).default(51820),
  managementPort: z.number().int().min(1).max(65535).default(9090),
});
export type GatewaySettings = z.infer<typeof GatewaySettingsSchema>;

export const GatewayCreated = defineEvent({
  type: 'GatewayCreated',
  aggregate: 'gateway',
  schema: GatewaySettingsSchema.extend({
    enrollmentTokenHash: z.string(),
    enrollmentExpiresAt: z.iso.datetime(),
  }),
  sensitive: ['enrollmentTokenHash'],
});
export const GatewayEnrolled = defineEvent({
  type: 'GatewayEnrolled',
  aggregate: 'gateway',
  schema: z.strictObject({
    publicKey: z.string().min(1).max(2000),
    /** The NATS nkey (user) the gateway generated; its JWT is derived from it and never stored. */
    natsPublicKey: z
      .string()
      .regex(/^U[A-Z2-7]{55}$/, 'is not a NATS user public key')
      .nullable()
      .default(null),
  }),
});
export const GatewayConfigUpdated = defineEvent({
  type: 'GatewayConfigUpdated',
  aggregate: 'gateway',
  schema: patchOf(GatewaySettingsSchema),
});
export const GatewayStatusChanged = defineEvent({
  type: 'GatewayStatusChanged',
  aggregate: 'gateway',
  schema: z.strictObject({
    status: z.enum(['healthy', 'unhealthy']),
    lastHeartbeatAt: z.iso.datetime().nullable(),
  }),
});
export const GatewayDeleted = defineEvent({
  type: 'GatewayDeleted',
  aggregate: 'gateway',
  schema: z.strictObject({}),
});

export const gatewayEvents = [
  GatewayCreated,
  GatewayEnrolled,
  GatewayConfigUpdated,
  GatewayStatusChanged,
  GatewayDeleted,
] as const;
