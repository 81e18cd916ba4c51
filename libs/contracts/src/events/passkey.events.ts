import { z } from 'zod';
import { defineEvent } from '../event-definition';
import { NameSchema } from '../fields';

/** A WebAuthn credential id, base64url (the authenticator's, up to 1023 bytes). */
export const CredentialIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,1400}$/, 'is not a credential id');

// User — passkeys (WebAuthn credentials): only public keys, nothing secret.
export const PasskeyRegistered = defineEvent({
  type: 'PasskeyRegistered',
  aggregate: 'user',
  schema: z.object({
    credentialId: CredentialIdSchema,
    /** The COSE public key, base64url. */
    publicKey: z.string().min(16).max(4000),
    counter: z.number().int().min(0),
    transports: z.array(z.string().max(30)).max(10),
    name: NameSchema,
  }),
});
export const PasskeyRenamed = defineEvent({
  type: 'PasskeyRenamed',
  aggregate: 'user',
  schema: z.object({ credentialId: CredentialIdSchema, name: NameSchema }),
});
export const PasskeyRemoved = defineEvent({
  type: 'PasskeyRemoved',
  aggregate: 'user',
  schema: z.object({ credentialId: CredentialIdSchema }),
});
/** A sign-in with a passkey: its signature counter moved on. */
export const PasskeyUsed = defineEvent({
  type: 'PasskeyUsed',
  aggregate: 'user',
  schema: z.object({ credentialId: CredentialIdSchema, counter: z.number().int().min(0) }),
});
/** Passkeys as the only way in: a password alone is then refused. */
export const UserPasskeyOnlyChanged = defineEvent({
  type: 'UserPasskeyOnlyChanged',
  aggregate: 'user',
  schema: z.object({ passkeyOnly: z.boolean() }),
});

export const passkeyEvents = [
  PasskeyRegistered,
  PasskeyRenamed,
  PasskeyRemoved,
  PasskeyUsed,
  UserPasskeyOnlyChanged,
] as const;
