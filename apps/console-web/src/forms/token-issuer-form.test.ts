import { describe, expect, it } from 'vitest';
import { jwksOf, keySummary, keysError, newTokenIssuer, tokenIssuerBody } from './token-issuer-form';

const ed25519 = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' };

describe('the trusted token issuer form', () => {
  it('sends one pasted JWK, a JWK set or an array of JWKs as the list of keys', () => {
    expect(jwksOf(JSON.stringify(ed25519))).toEqual({ keys: [ed25519] });
    const other = { ...ed25519, kid: 'k2' };
    expect(jwksOf(JSON.stringify({ keys: [ed25519, other] }))).toEqual({ keys: [ed25519, other] });
    expect(jwksOf(JSON.stringify([ed25519, other]))).toEqual({ keys: [ed25519, other] });
  });

  it('says what is wrong with keys that are not JSON, not objects, or none, without sending them', () => {
    expect(jwksOf('')).toEqual({ problem: expect.stringMatching(/Paste the issuer/) });
    expect(jwksOf('{"kty": "OKP",')).toEqual({ problem: expect.stringMatching(/^Not JSON/) });
    expect(jwksOf('{"keys": []}')).toEqual({ problem: 'The JWK set holds no keys' });
    expect(jwksOf('"a key"')).toEqual({ problem: 'Each key must be a JSON object (a JWK)' });
    expect(jwksOf('[{"kty": "oct"}, 3]')).toEqual({ problem: 'Each key must be a JSON object (a JWK)' });
    expect(tokenIssuerBody({ ...newTokenIssuer(), keys: 'nope' })).toEqual({
      problem: expect.stringMatching(/^Not JSON/),
    });
  });

  it('builds the request body with trimmed text and the algorithms chosen', () => {
    const sent = tokenIssuerBody({
      name: ' CI ',
      issuer: ' https://ci.example.com ',
      audience: 'gateway ',
      algorithms: ['EdDSA'],
      keys: JSON.stringify({ keys: [ed25519] }),
    });
    expect(sent).toEqual({
      body: {
        name: 'CI',
        issuer: 'https://ci.example.com',
        audience: 'gateway',
        algorithms: ['EdDSA'],
        keys: [ed25519],
      },
    });
  });

  it('shows the API’s errors about the keys in the keys field, naming the key when several were sent', () => {
    const errors = {
      name: 'Too small',
      'keys.0': 'an HMAC key for HS256 must be at least 256 bits (this one is 128)',
    };
    expect(keysError(errors, 1)).toBe('an HMAC key for HS256 must be at least 256 bits (this one is 128)');
    expect(
      keysError({ 'keys.1': 'give the public key only', 'keys.2.kid': 'two keys share this kid' }, 3),
    ).toBe('Key 2: give the public key only; Key 3 (kid): two keys share this kid');
    expect(keysError({ 'keys.0.kid': 'two keys share this kid' }, 1)).toBe('kid: two keys share this kid');
    expect(keysError({ keys: 'Too big' }, 11)).toBe('Too big');
    expect(keysError({ name: 'Too small', 'keysets.0': 'x' }, 1)).toBeUndefined();
  });

  it('lists a kept key by kid, type and fingerprint, never by its secret', () => {
    expect(keySummary({ kty: 'oct', kid: 'ci-2026', fingerprint: 'AbCdEfGhIjKlMnOp', k: 'c2VjcmV0' })).toBe(
      'ci-2026 · oct · AbCdEfGhIjKlMnOp',
    );
    expect(keySummary({ kty: 'OKP', alg: 'EdDSA', fingerprint: 'QrStUvWxYz012345', x: 'abc' })).toBe(
      'OKP · EdDSA · QrStUvWxYz012345',
    );
  });
});
