import { z } from 'zod';
import { IdSchema } from '../fields';
import { GatewaySettingsSchema, patchOf, type GatewaySettings } from '../events';
import { PrincipalSchema } from './principal';
import type { Page } from './identity.messages';

const Id = IdSchema;
const Authed = { principal: PrincipalSchema };

/** Request schemas of the gateway registry, by NATS pattern. */
export const RegistryRequests = {
  'registry.gateways.create': z.object({ ...Authed, gateway: GatewaySettingsSchema }),
  'registry.gateways.list': z.object({
    ...Authed,
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(500).default(100),
  }),
  'registry.gateways.get': z.object({ ...Authed, id: Id }),
  'registry.gateways.update': z.object({
    ...Authed,
    id: Id,
    expectedVersion: z.number().int().min(0).optional(),
    changes: patchOf(GatewaySettingsSchema),
  }),
  'registry.gateways.delete': z.object({ ...Authed, id: Id }),
  'registry.gateways.enroll': z.object({
    token: z.string().min(1).max(300),
    publicKey: z.string().min(1).max(2000),
    natsPublicKey: z.string().regex(/^U[A-Z2-7]{55}$/, 'is not a NATS user public key'),
  }),
  'registry.dns': z.object({ ...Authed, resourceId: Id }),
  /** The WireGuard side of a site's gateways: where devices connect, and what each last saw of them. */
  'registry.wireguard.site': z.object({ ...Authed, siteId: Id }),
} as const;

export type RegistryPattern = keyof typeof RegistryRequests;
export type RegistryRequest<P extends RegistryPattern> = z.input<(typeof RegistryRequests)[P]>;
export type RegistryCommand<P extends RegistryPattern> = z.output<(typeof RegistryRequests)[P]>;

export interface GatewayView extends GatewaySettings {
  id: string;
  orgId: string;
  status: 'pending' | 'healthy' | 'unhealthy';
  enrolledAt: string | null;
  configRevision: number | null;
  configAppliedAt: string | null;
  lastHeartbeatAt: string | null;
  /** What the gateway last reported it serves (null until it reported it). */
  runtime: (GatewayRuntime & { reportedAt: string }) | null;
  createdAt: string;
  version: number;
}

export interface DnsRecord {
  type: 'A' | 'AAAA' | 'CNAME';
  name: string;
  value: string;
  gatewayId: string;
}

export interface RegistryResponses {
  'registry.gateways.create': GatewayView & { enrollmentToken: string; enrollmentExpiresAt: string };
  'registry.gateways.list': Page<GatewayView>;
  'registry.gateways.get': GatewayView;
  'registry.gateways.update': GatewayView;
  'registry.gateways.delete': { deleted: true };
  'registry.gateways.enroll': {
    gatewayId: string;
    orgId: string;
    siteIds: string[];
    heartbeatIntervalS: number;
    natsJwt: string;
    /** Where the gateway's WireGuard listens: its `wireguard_port`, the port devices dial. */
    wireguardPort: number;
  };
  'registry.dns': { resourceId: string; records: DnsRecord[]; notes: string[] };
  'registry.wireguard.site': SiteWireGuardView;
}

/** A site's WireGuard gateways (those that reported an interface) and their peers' counters. */
export interface SiteWireGuardView {
  siteId: string;
  gateways: {
    gatewayId: string;
    /** host:port devices dial: the gateway's host name or public IP, and its WireGuard port. */
    endpoint: string | null;
    publicKey: string;
    healthy: boolean;
  }[];
  /** Per device public key: the latest handshake any gateway of the site saw, and its byte counts. */
  peers: Record<
    string,
    { gatewayId: string; lastHandshakeAt: string | null; rxBytes: number; txBytes: number }
  >;
}

/** What a gateway publishes (signed with its key): a heartbeat, and each snapshot revision it applied. */
export const GatewayReportSchema = z.object({
  gatewayId: Id,
  kind: z.enum(['heartbeat', 'applied']),
  at: z.iso.datetime(),
  sites: z.record(z.string(), z.number().int().min(0)),
  /** The gateway's WireGuard interface, when it runs one: its public key and each peer's counters. */
  wireguard: z
    .object({
      publicKey: z.string().max(100),
      listenPort: z.number().int().min(0).max(65535),
      peers: z
        .array(
          z.object({
            publicKey: z.string().max(100),
            lastHandshakeAt: z.iso.datetime().nullable(),
            rxBytes: z.number().int().min(0),
            txBytes: z.number().int().min(0),
          }),
        )
        .max(100_000),
    })
    .optional(),
  /** What the gateway serves right now: its targets' health, the tunnels connected, its certificates. */
  runtime: z
    .object({
      targets: z
        .array(
          z.object({
            resourceId: Id,
            targetId: z.string().max(200),
            address: z.string().max(300),
            state: z.enum(['healthy', 'unhealthy', 'ejected', 'drained']),
            /** The last active health check, when the target has one. */
            lastCheck: z
              .object({ at: z.iso.datetime(), ok: z.boolean(), detail: z.string().max(300) })
              .nullable(),
          }),
        )
        .max(10_000),
      /** The tunnels connected to it: an exposed service's (its resource) or a site connector's. */
      tunnels: z.array(z.object({ resourceId: Id.optional(), siteId: Id.optional() })).max(10_000),
      /** The certificates it serves from ACME or files (the development CA's are issued on demand). */
      certificates: z
        .array(
          z.object({
            names: z.array(z.string().max(300)).max(100),
            source: z.enum(['acme', 'file']),
            notAfter: z.iso.datetime(),
          }),
        )
        .max(1_000),
    })
    .optional(),
});
export type GatewayReport = z.infer<typeof GatewayReportSchema>;
export type GatewayRuntime = NonNullable<GatewayReport['runtime']>;
/**
 * Where the registry says a gateway's runtime (target health, tunnels, certificates) changed, per
 * org: a live notice for the console, not an event of the store.
 */
export const GATEWAY_RUNTIME_SUBJECT_ROOT = 'rn.live.gateway-runtime';
export const gatewayRuntimeSubject = (orgId: string) => `${GATEWAY_RUNTIME_SUBJECT_ROOT}.${orgId}`;
export { gatewayControlSubject, gatewayReportSubject, gatewaySettingsSubject } from '../subjects';

/**
 * What a gateway is told (or answered) about itself: the sites it serves, its current NATS JWT, and
 * the UDP port its WireGuard interface listens on (the `wireguard_port` devices are told to dial).
 */
export interface GatewayAssignment {
  siteIds: string[];
  natsJwt: string;
  wireguardPort: number;
}
