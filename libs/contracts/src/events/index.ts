import { EventRegistry } from '../event-registry';
import type { EventOf } from '../event-definition';
import { identityEvents } from './identity.events';

export * from './identity.events';

/** Every event type of the platform. */
export const platformEvents = [...identityEvents] as const;
export type PlatformEventDefinition = (typeof platformEvents)[number];
export type PlatformEvent = EventOf<PlatformEventDefinition>;
export type IdentityEvent = EventOf<(typeof identityEvents)[number]>;

export const platformRegistry = new EventRegistry<PlatformEventDefinition>(platformEvents);
