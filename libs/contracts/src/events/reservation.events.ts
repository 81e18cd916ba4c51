import { z } from 'zod';
import { defineEvent } from '../event-definition';

// Reservations of unique keys (an email, a domain and path prefix, a public port, a subnet, a tunnel
// name, a VPN address): one `reservation` aggregate per book of keys that must not collide. A key is
// reserved for an owner, confirmed once the owner's own commit is stored, and released when that
// commit fails, when the owner lets it go, or when a reconciliation finds the owner does not use it.
// The rules are in libs/eventstore (reservations).

const Key = z.string().min(1).max(500);
const Owner = z.string().min(1).max(200);

export const KeyReserved = defineEvent({
  type: 'KeyReserved',
  aggregate: 'reservation',
  schema: z.strictObject({
    space: z.string().min(1).max(64),
    key: Key,
    owner: Owner,
    /** The owner's organisation (a refusal names the owner only to its own organisation). */
    orgId: z.string().min(1).max(200),
    /** Unless confirmed before this time, the reservation no longer holds the key by itself. */
    expiresAt: z.iso.datetime(),
  }),
});
export const KeyConfirmed = defineEvent({
  type: 'KeyConfirmed',
  aggregate: 'reservation',
  schema: z.strictObject({ key: Key, owner: Owner }),
});
export const KeyReleased = defineEvent({
  type: 'KeyReleased',
  aggregate: 'reservation',
  schema: z.strictObject({
    key: Key,
    owner: Owner,
    /** `released`: by its owner; `abandoned`: the owner's commit failed; `reconciled`: the owner does not use it. */
    reason: z.enum(['released', 'abandoned', 'reconciled']),
  }),
});

export const reservationEvents = [KeyReserved, KeyConfirmed, KeyReleased] as const;
