import { z } from 'zod';
import {
  GatewaySettingsSchema,
  PolicyDataSchema,
  PolicyRequests,
  ResourceDataSchema,
  SiteDataSchema,
  TargetDataSchema,
  TokenIssuerSettingsSchema,
  patchOf,
} from '@rustronaut/contracts';

/**
 * Bodies of the sites/resources/policies routes: the contracts' schemas themselves (camelCase);
 * clients send snake_case, which `snakeBody` maps on the way in and in error messages.
 */
export const SiteBody = SiteDataSchema;
export const SitePatch = patchOf(SiteDataSchema);
export const ResourceBody = ResourceDataSchema.omit({ tunnel: true }).extend({
  targets: z.array(TargetDataSchema).max(100).default([]),
});
export const ResourcePatch = patchOf(ResourceDataSchema.omit({ siteId: true, protocol: true, tunnel: true }));
export const TargetBody = TargetDataSchema;
export const TargetPatch = patchOf(TargetDataSchema);
/** A trusted token issuer of a resource: name, iss, aud, algorithms and its keys as JWKs. */
export const TokenIssuerBody = TokenIssuerSettingsSchema;
export const PolicyBody = PolicyDataSchema;
export const PolicyPatch = patchOf(PolicyDataSchema);
export const SimulateBody = PolicyRequests['policy.simulate']
  .omit({ principal: true })
  .extend({ userId: z.string().nullable() });
export const ResourceListQuery = z.object({
  site_id: z.string().max(64).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const GatewayBody = GatewaySettingsSchema;
export const GatewayPatch = patchOf(GatewaySettingsSchema);
export const EnrollBody = z.strictObject({
  token: z.string().min(1).max(300),
  publicKey: z.string().min(1).max(2000),
  natsPublicKey: z.string().min(1).max(100),
});
/** `rustronaut expose`: what to expose and how. */
export const ServiceBody = PolicyRequests['policy.services.expose'].shape.service;
