import { z } from 'zod';
import { NameSchema, type PasskeyView } from '@rustronaut/contracts';

/** Passkeys over HTTP (snake_case). The WebAuthn answers are what @simplewebauthn/browser gives. */
const WebAuthnAnswer = z
  .record(z.string(), z.unknown())
  .describe(
    "the browser's WebAuthn answer, as @simplewebauthn/browser startRegistration/startAuthentication give it",
  );

export const RegisterPasskeyBody = z.strictObject({ response: WebAuthnAnswer, name: NameSchema });
export const RenamePasskeyBody = z.strictObject({ name: NameSchema });
export const PasskeyOnlyBody = z.strictObject({
  enabled: z.boolean().describe('true: a password alone no longer signs you in (needs a passkey)'),
});
export const PasskeySignInBody = z.strictObject({ response: WebAuthnAnswer });
export const NoBody = z.strictObject({});

export const WebAuthnOptionsJson = z
  .record(z.string(), z.unknown())
  .describe('options for @simplewebauthn/browser (optionsJSON); the challenge works once, for 5 minutes');

export const passkeyJson = (p: PasskeyView) => ({
  id: p.id,
  name: p.name,
  transports: p.transports,
  created_at: p.createdAt,
  last_used_at: p.lastUsedAt,
});
const Passkey = z.object({
  id: z.string().describe('the credential id (base64url)'),
  name: z.string(),
  transports: z.array(z.string()),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});
export const PasskeyJson = Passkey;
export const PasskeyListJson = z.object({ items: z.array(Passkey), passkey_only: z.boolean() });
export const PasskeyOnlyJson = z.object({ passkey_only: z.boolean() });
