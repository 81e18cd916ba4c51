import { z } from 'zod';
import { IdSchema } from '../fields';
import {
  PolicyDataSchema,
  ResourceDataSchema,
  SiteDataSchema,
  TargetDataSchema,
  patchOf,
  type PolicyData,
  type ResourceData,
  type SiteData,
  type TargetData,
} from '../events/policy.events';
import { TokenIssuerSettingsSchema, type TokenIssuerView } from '../token-issuers';
import { PrincipalSchema } from './principal';
import type { Page } from './identity.messages';

const Id = IdSchema;
const Version = z.number().int().min(0).optional();
const Authed = { principal: PrincipalSchema };
const PageFields = {
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(500).default(100),
};

/** Request schemas of the policy service, by NATS pattern. */
export const PolicyRequests = {
  'policy.sites.create': z.object({ ...Authed, site: SiteDataSchema }),
  'policy.sites.list': z.object({ ...Authed, ...PageFields }),
  'policy.sites.get': z.object({ ...Authed, id: Id }),
  'policy.sites.update': z.object({
    ...Authed,
    id: Id,
    expectedVersion: Version,
    changes: patchOf(SiteDataSchema),
  }),
  'policy.sites.delete': z.object({ ...Authed, id: Id, expectedVersion: Version }),

  'policy.resources.create': z.object({
    ...Authed,
    resource: ResourceDataSchema,
    targets: z.array(TargetDataSchema).max(100).default([]),
  }),
  'policy.resources.list': z.object({ ...Authed, siteId: Id.optional(), ...PageFields }),
  'policy.resources.get': z.object({ ...Authed, id: Id }),
  /**
   * The organisation's resource that serves a host and path: exact domain, else the longest
   * wildcard; then the longest path prefix that covers the path.
   */
  'policy.resources.byHost': z.object({
    ...Authed,
    host: z.string().min(1).max(253),
    path: z.string().startsWith('/').max(2000).default('/'),
  }),
  /** For sign-in pages only (no caller yet): the organisation of the HTTP resource serving a host. */
  'policy.resources.orgOfHost': z.object({ host: z.string().min(1).max(253) }),
  'policy.resources.setAccessSecret': z.object({
    ...Authed,
    id: Id,
    method: z.enum(['pin', 'password']),
    /** The new PIN or password; null removes it. */
    secret: z.string().min(1).max(200).nullable(),
  }),
  'policy.shareLinks.create': z.object({
    ...Authed,
    resourceId: Id,
    expiresInS: z
      .number()
      .int()
      .min(1)
      .max(90 * 24 * 3600),
  }),
  'policy.shareLinks.list': z.object({ ...Authed, resourceId: Id }),
  'policy.shareLinks.revoke': z.object({ ...Authed, resourceId: Id, linkId: Id }),
  'policy.tokenIssuers.add': z.object({ ...Authed, resourceId: Id, issuer: TokenIssuerSettingsSchema }),
  'policy.tokenIssuers.list': z.object({ ...Authed, resourceId: Id }),
  'policy.tokenIssuers.remove': z.object({ ...Authed, resourceId: Id, issuerId: Id }),
  'policy.resources.update': z.object({
    ...Authed,
    id: Id,
    expectedVersion: Version,
    changes: patchOf(ResourceDataSchema.omit({ siteId: true, protocol: true, tunnel: true })),
  }),
  'policy.resources.delete': z.object({ ...Authed, id: Id, expectedVersion: Version }),
  'policy.targets.add': z.object({ ...Authed, resourceId: Id, target: TargetDataSchema }),
  'policy.targets.list': z.object({ ...Authed, resourceId: Id }),
  'policy.targets.update': z.object({
    ...Authed,
    resourceId: Id,
    targetId: Id,
    changes: patchOf(TargetDataSchema),
  }),
  'policy.targets.remove': z.object({ ...Authed, resourceId: Id, targetId: Id }),

  'policy.sites.connector': z.object({ ...Authed, id: Id }),
  'policy.services.expose': z.object({
    ...Authed,
    service: z.strictObject({
      localAddress: z
        .string()
        .trim()
        .min(1)
        .max(300)
        .regex(/^[^\s]+:\d{1,5}$/, 'must be host:port, such as localhost:3000'),
      protocol: z.enum(['http', 'tcp', 'udp']),
      subdomain: z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be letters, digits and dashes (at most 63)')
        .optional(),
      authRequired: z.boolean().default(false),
      siteId: Id.optional(),
    }),
  }),
  'policy.services.list': z.object({ ...Authed, ...PageFields }),
  'policy.services.get': z.object({ ...Authed, id: Id }),
  'policy.services.unexpose': z.object({ ...Authed, id: Id }),

  'policy.policies.create': z.object({ ...Authed, policy: PolicyDataSchema }),
  'policy.policies.list': z.object({ ...Authed, ...PageFields }),
  'policy.policies.get': z.object({ ...Authed, id: Id }),
  'policy.policies.update': z.object({
    ...Authed,
    id: Id,
    expectedVersion: Version,
    changes: patchOf(PolicyDataSchema),
  }),
  'policy.policies.delete': z.object({ ...Authed, id: Id, expectedVersion: Version }),
  'policy.simulate': z.object({
    ...Authed,
    userId: Id.nullable(),
    /** The resource to ask about; or `host` (with `path`) to ask which resource the gateway would route to. */
    resourceId: Id.optional(),
    host: z.string().min(1).max(253).optional(),
    ip: z.string().min(2).max(64),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .nullable()
      .default(null),
    path: z.string().startsWith('/').max(2000).default('/'),
    method: z
      .string()
      .regex(/^[A-Z]{3,10}$/)
      .default('GET'),
    at: z.iso.datetime({ offset: true }).optional(),
  }),
} as const;

export type PolicyPattern = keyof typeof PolicyRequests;
export type PolicyRequest<P extends PolicyPattern> = z.input<(typeof PolicyRequests)[P]>;
export type PolicyCommand<P extends PolicyPattern> = z.output<(typeof PolicyRequests)[P]>;

/** An exposed service, as `rustronaut expose` and the services API show it. */
export interface ServiceView {
  id: string;
  orgId: string;
  siteId: string;
  /** Its subdomain, and the name its tunnel offers it under. */
  name: string;
  protocol: 'http' | 'tcp' | 'udp';
  localAddress: string;
  publicUrl: string;
  authRequired: boolean;
  status: 'exposed';
  dnsRecord: { type: 'CNAME' | 'A'; name: string; value: string };
  tunnel: { endpoint: string; token?: string };
  exposedBy: string;
  createdAt: string;
}

export interface SiteView extends SiteData {
  id: string;
  orgId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}
export interface TargetView extends TargetData {
  id: string;
  resourceId: string;
}
export interface ShareLinkView {
  id: string;
  resourceId: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}
export interface ResourceView extends ResourceData {
  id: string;
  orgId: string;
  /** Which of its own ways in are set (never the secrets or hashes). */
  access?: { pin: boolean; password: boolean };
  targets: TargetView[];
  createdAt: string;
  updatedAt: string;
  version: number;
}
export interface PolicyView extends PolicyData {
  id: string;
  orgId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}
export interface SimulationView {
  /** The resource decided on: the one given, or the one that serves the host and path. */
  resourceId: string;
  allowed: boolean;
  decidedBy: { policyId: string; name: string; effect: 'allow' | 'deny' } | null;
  reason: string;
  evaluated: number;
}

export interface PolicyResponses {
  'policy.sites.create': SiteView;
  'policy.sites.list': Page<SiteView>;
  'policy.sites.get': SiteView;
  'policy.sites.update': SiteView;
  'policy.sites.delete': { deleted: true };
  'policy.resources.create': ResourceView;
  'policy.resources.list': Page<ResourceView>;
  'policy.resources.get': ResourceView;
  'policy.resources.byHost': ResourceView;
  'policy.resources.orgOfHost': { orgId: string };
  'policy.resources.setAccessSecret': ResourceView;
  'policy.shareLinks.create': ShareLinkView & { token: string };
  'policy.shareLinks.list': ShareLinkView[];
  'policy.shareLinks.revoke': ShareLinkView;
  'policy.tokenIssuers.add': TokenIssuerView;
  'policy.tokenIssuers.list': TokenIssuerView[];
  'policy.tokenIssuers.remove': { deleted: true };
  'policy.resources.update': ResourceView;
  'policy.resources.delete': { deleted: true };
  'policy.targets.add': ResourceView;
  'policy.targets.list': TargetView[];
  'policy.targets.update': ResourceView;
  'policy.targets.remove': ResourceView;
  'policy.sites.connector': { siteId: string; token: string; endpoint: string };
  'policy.services.expose': ServiceView;
  'policy.services.list': Page<ServiceView>;
  'policy.services.get': ServiceView;
  'policy.services.unexpose': { deleted: true };
  'policy.policies.create': PolicyView;
  'policy.policies.list': Page<PolicyView>;
  'policy.policies.get': PolicyView;
  'policy.policies.update': PolicyView;
  'policy.policies.delete': { deleted: true };
  'policy.simulate': SimulationView;
}
