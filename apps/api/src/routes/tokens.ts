import type {
  AuditClient,
  DeviceClient,
  DistributorClient,
  IdentityClient,
  PolicyClient,
  RegistryClient,
} from '@rustronaut/messaging';

/** Injection tokens for the API's collaborators. */
export const IDENTITY = Symbol('IdentityClient');
export const AUDIT = Symbol('AuditClient');
export const POLICY = Symbol('PolicyClient');
export const DISTRIBUTOR = Symbol('DistributorClient');
export const REGISTRY = Symbol('RegistryClient');
export const DEVICES = Symbol('DeviceClient');
export const PUBLIC_URL = Symbol('PublicUrl');
export type { AuditClient, DeviceClient, DistributorClient, IdentityClient, PolicyClient, RegistryClient };

/** The console's settings for the public side of the gateways (ConsoleConfig['exposure']). */
export const EDGE = Symbol('Edge');

/** The web console's session cookies: Secure on an https console; the refresh cookie's life. */
export const CONSOLE_SESSION = Symbol('ConsoleSession');
export interface ConsoleSessionSettings {
  secure: boolean;
  refreshTtlS: number;
}
