import type { z } from 'zod';
import type {
  AuditRequests,
  AuditResponses,
  DevicePattern,
  DeviceRequest,
  DeviceResponses,
  IdentityRequest,
  IdentityRequests,
  IdentityResponses,
  PolicyRequest,
  PolicyRequests,
  PolicyResponses,
  RegistryRequest,
  RegistryRequests,
  RegistryResponses,
} from '@rustronaut/contracts';
import type { ServiceClient } from './service-client';

/** The typed NATS clients of the console's services, one definition each. */
export type IdentityClient = ServiceClient<
  { [P in keyof typeof IdentityRequests]: IdentityRequest<P> },
  IdentityResponses
>;
export type AuditClient = ServiceClient<
  { [P in keyof typeof AuditRequests]: z.input<(typeof AuditRequests)[P]> },
  AuditResponses
>;
export type PolicyClient = ServiceClient<
  { [P in keyof typeof PolicyRequests]: PolicyRequest<P> },
  PolicyResponses
>;
/** The policy service's WireGuard devices (the same service as PolicyClient, its device patterns). */
export type DeviceClient = ServiceClient<{ [P in DevicePattern]: DeviceRequest<P> }, DeviceResponses>;
export type RegistryClient = ServiceClient<
  { [P in keyof typeof RegistryRequests]: RegistryRequest<P> },
  RegistryResponses
>;
/** The config distributor answers one question: its public keys. */
export type DistributorClient = ServiceClient<
  { 'distributor.keys': Record<string, never> },
  { 'distributor.keys': { keys: { id: string; publicKey: string }[] } }
>;
