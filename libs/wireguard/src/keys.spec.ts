import { randomBytes } from 'node:crypto';
import { generateKeyPair, hexToKey, isWireGuardKey, keyToHex, publicKeyOf } from './keys';
import { WireGuardError } from './errors';

describe('WireGuard keys', () => {
  it('derives the public key of RFC 7748 test vector', () => {
    const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    expect(Buffer.from(publicKeyOf(alice.toString('base64')), 'base64').toString('hex')).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
  });

  it('generates clamped pairs whose public key derives back', () => {
    for (let i = 0; i < 50; i++) {
      const sut = generateKeyPair();
      expect(isWireGuardKey(sut.privateKey) && isWireGuardKey(sut.publicKey)).toBe(true);
      const raw = Buffer.from(sut.privateKey, 'base64');
      expect(raw[0]! & 7).toBe(0);
      expect(raw[31]! & 0xc0).toBe(0x40);
      expect(publicKeyOf(sut.privateKey)).toBe(sut.publicKey);
    }
  });

  it('converts base64 and UAPI hex both ways, refusing anything else', () => {
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(32).toString('base64');
      expect(hexToKey(keyToHex(key))).toBe(key);
    }
    const notKeys = [
      '',
      'abc',
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      `${randomBytes(32).toString('base64').slice(0, 43)}\n`,
      `${randomBytes(32).toString('base64')}\nx=1`,
    ];
    for (const bad of notKeys) {
      expect(isWireGuardKey(bad)).toBe(false);
      expect(() => keyToHex(bad)).toThrow(WireGuardError);
    }
    expect(hexToKey('zz'.repeat(32))).toBeUndefined();
  });
});
