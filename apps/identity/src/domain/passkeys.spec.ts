import {
  decidePasskeyOnly,
  decidePasskeyUse,
  decideRegisterPasskey,
  decideRemovePasskey,
  decideRenamePasskey,
  type PasskeysState,
} from './passkeys';

const state = (over: Partial<PasskeysState> = {}): PasskeysState => ({
  passkeyOnly: false,
  passkeys: new Map([['cred-aaaaaaaaaaaaaaaa', { name: 'Laptop', counter: 5 }]]),
  ...over,
});
const key = {
  credentialId: 'cred-bbbbbbbbbbbbbbbb',
  publicKey: 'p'.repeat(40),
  counter: 0,
  transports: ['internal'],
  name: 'Phone',
};

describe('passkey decisions', () => {
  it('registers a new passkey, never the same one twice', () => {
    expect(decideRegisterPasskey(state(), key)).toEqual([{ type: 'PasskeyRegistered', data: key }]);
    expect(() => decideRegisterPasskey(state(), { ...key, credentialId: 'cred-aaaaaaaaaaaaaaaa' })).toThrow(
      /already/,
    );
  });

  it('renames only what exists, and records nothing for the same name', () => {
    expect(decideRenamePasskey(state(), 'cred-aaaaaaaaaaaaaaaa', 'Work laptop')).toHaveLength(1);
    expect(decideRenamePasskey(state(), 'cred-aaaaaaaaaaaaaaaa', 'Laptop')).toEqual([]);
    expect(() => decideRenamePasskey(state(), 'cred-zzzzzzzzzzzzzzzz', 'x')).toThrow(/does not exist/);
  });

  it('passkeys only: needs one, and keeps the last one', () => {
    expect(() => decidePasskeyOnly(state({ passkeys: new Map() }), true)).toThrow(/register a passkey/);
    expect(decidePasskeyOnly(state(), true)).toEqual([
      { type: 'UserPasskeyOnlyChanged', data: { passkeyOnly: true } },
    ]);
    expect(decidePasskeyOnly(state({ passkeyOnly: true }), true)).toEqual([]);
    expect(() => decideRemovePasskey(state({ passkeyOnly: true }), 'cred-aaaaaaaaaaaaaaaa')).toThrow(
      /last passkey/,
    );
    expect(decideRemovePasskey(state(), 'cred-aaaaaaaaaaaaaaaa')).toHaveLength(1);
  });

  it('refuses a signature counter that does not move forward (a copied authenticator)', () => {
    expect(decidePasskeyUse(state(), 'cred-aaaaaaaaaaaaaaaa', 6)).toEqual([
      { type: 'PasskeyUsed', data: { credentialId: 'cred-aaaaaaaaaaaaaaaa', counter: 6 } },
    ]);
    for (const counter of [0, 1, 5])
      expect(() => decidePasskeyUse(state(), 'cred-aaaaaaaaaaaaaaaa', counter)).toThrow(/went back/);
    const counterless = state({ passkeys: new Map([['c', { name: 'Synced', counter: 0 }]]) });
    expect(decidePasskeyUse(counterless, 'c', 0)).toHaveLength(1);
    expect(() => decidePasskeyUse(state(), 'unknown', 1)).toThrow(/not registered/);
  });
});
