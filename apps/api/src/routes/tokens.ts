import type { AuditClient, IdentityClient } from '../identity-client';

/** Injection tokens for the API's collaborators. */
export const IDENTITY = Symbol('IdentityClient');
export const AUDIT = Symbol('AuditClient');
export const PUBLIC_URL = Symbol('PublicUrl');
export type { AuditClient, IdentityClient };
