import { EventRegistry } from '../event-registry';
import type { EventOf } from '../event-definition';
import { identityEvents } from './identity.events';
import { signInEvents } from './sign-in.events';
import { passkeyEvents } from './passkey.events';
import { policyEvents } from './policy.events';
import { gatewayEvents } from './gateway.events';
import { reservationEvents } from './reservation.events';

export * from './identity.events';
export * from './sign-in.events';
export * from './passkey.events';
export * from './policy.events';
export * from './gateway.events';
export * from './reservation.events';

/** Every event type of the platform. */
export const platformEvents = [
  ...identityEvents,
  ...signInEvents,
  ...passkeyEvents,
  ...policyEvents,
  ...gatewayEvents,
  ...reservationEvents,
] as const;
export type ReservationEventDefinition = (typeof reservationEvents)[number];
export type ReservationEvent = EventOf<ReservationEventDefinition>;
export type PlatformEventDefinition = (typeof platformEvents)[number];
export type PlatformEvent = EventOf<PlatformEventDefinition>;
export type IdentityEvent = EventOf<
  (typeof identityEvents)[number] | (typeof signInEvents)[number] | (typeof passkeyEvents)[number]
>;
export type PolicyEvent = EventOf<(typeof policyEvents)[number]>;

export const platformRegistry = new EventRegistry<PlatformEventDefinition>(platformEvents);
