import type { AuditClient, IdentityClient, PolicyClient } from '../service-clients';

/** Injection tokens for the API's collaborators. */
export const IDENTITY = Symbol('IdentityClient');
export const AUDIT = Symbol('AuditClient');
export const POLICY = Symbol('PolicyClient');
export const PUBLIC_URL = Symbol('PublicUrl');
export type { AuditClient, IdentityClient, PolicyClient };
