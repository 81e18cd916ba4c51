import type { NewEvent, PlatformEvent } from '@rustronaut/contracts';
import { IdentityError, IdentityErrorCode, notFound } from './errors';

/** A user's passkeys and whether they are the only way in, folded from the user's events. */
export interface PasskeysState {
  passkeyOnly: boolean;
  passkeys: Map<string, { name: string; counter: number }>;
}

export function evolvePasskeys(state: PasskeysState | undefined, event: PlatformEvent): PasskeysState {
  const s = state ?? { passkeyOnly: false, passkeys: new Map() };
  switch (event.type) {
    case 'PasskeyRegistered':
      return {
        ...s,
        passkeys: new Map(s.passkeys).set(event.data.credentialId, {
          name: event.data.name,
          counter: event.data.counter,
        }),
      };
    case 'PasskeyRenamed': {
      const found = s.passkeys.get(event.data.credentialId);
      return found
        ? {
            ...s,
            passkeys: new Map(s.passkeys).set(event.data.credentialId, { ...found, name: event.data.name }),
          }
        : s;
    }
    case 'PasskeyUsed': {
      const found = s.passkeys.get(event.data.credentialId);
      return found
        ? {
            ...s,
            passkeys: new Map(s.passkeys).set(event.data.credentialId, {
              ...found,
              counter: event.data.counter,
            }),
          }
        : s;
    }
    case 'PasskeyRemoved': {
      const passkeys = new Map(s.passkeys);
      passkeys.delete(event.data.credentialId);
      return { ...s, passkeys };
    }
    case 'UserPasskeyOnlyChanged':
      return { ...s, passkeyOnly: event.data.passkeyOnly };
    default:
      return s;
  }
}

type Events = NewEvent<PlatformEvent>[];

export function decideRegisterPasskey(
  state: PasskeysState,
  passkey: { credentialId: string; publicKey: string; counter: number; transports: string[]; name: string },
): Events {
  if (state.passkeys.has(passkey.credentialId))
    throw new IdentityError(IdentityErrorCode.PasskeyRefused, 'this passkey is registered already');
  if (state.passkeys.size >= 20)
    throw new IdentityError(
      IdentityErrorCode.PasskeyRefused,
      'an account has at most 20 passkeys: remove one first',
    );
  return [{ type: 'PasskeyRegistered', data: passkey }];
}

export function decideRenamePasskey(state: PasskeysState, credentialId: string, name: string): Events {
  const found = state.passkeys.get(credentialId);
  if (!found) throw notFound('passkey', credentialId);
  return found.name === name ? [] : [{ type: 'PasskeyRenamed', data: { credentialId, name } }];
}

/** The last passkey of a passkey-only account stays: without it nobody could sign in. */
export function decideRemovePasskey(state: PasskeysState, credentialId: string): Events {
  if (!state.passkeys.has(credentialId)) throw notFound('passkey', credentialId);
  if (state.passkeyOnly && state.passkeys.size === 1)
    throw new IdentityError(
      IdentityErrorCode.PasskeyRefused,
      'this is the last passkey of an account that signs in with passkeys only: turn that off first',
    );
  return [{ type: 'PasskeyRemoved', data: { credentialId } }];
}

export function decidePasskeyOnly(state: PasskeysState, enabled: boolean): Events {
  if (enabled && state.passkeys.size === 0)
    throw new IdentityError(
      IdentityErrorCode.PasskeyRefused,
      'register a passkey before making passkeys the only way in',
    );
  return state.passkeyOnly === enabled
    ? []
    : [{ type: 'UserPasskeyOnlyChanged', data: { passkeyOnly: enabled } }];
}

/**
 * A sign-in with a passkey: the authenticator's signature counter must move forward (both zero:
 * an authenticator without a counter, as many synced passkeys are); a counter that goes back
 * means a cloned authenticator, refused.
 */
export function decidePasskeyUse(state: PasskeysState, credentialId: string, newCounter: number): Events {
  const found = state.passkeys.get(credentialId);
  if (!found) throw new IdentityError(IdentityErrorCode.PasskeyRefused, 'this passkey is not registered');
  if ((newCounter !== 0 || found.counter !== 0) && newCounter <= found.counter)
    throw new IdentityError(
      IdentityErrorCode.PasskeyRefused,
      "this passkey's signature counter went back: was it copied?",
    );
  return [{ type: 'PasskeyUsed', data: { credentialId, counter: newCounter } }];
}
