import { randomBytes, randomInt } from 'node:crypto';
import {
  CSRF_COOKIE,
  SESSION_COOKIE,
  authorizationOf,
  clearedSessionCookies,
  cookieValue,
  sessionCookies,
} from './console-session';

const tokens = { accessToken: 'acc.tok.sig', refreshToken: 'rt_1', expiresIn: 900 };
const options = { secure: true, refreshTtlS: 86400 };

describe('the web console session', () => {
  it('keeps the tokens in HttpOnly, SameSite=Strict cookies scoped to the API; only the CSRF token is readable', () => {
    const sut = sessionCookies(tokens, 'csrf1', options);
    const [session, refresh, csrf, handoff] = sut;
    expect(session).toBe('rn_session=acc.tok.sig; Path=/api; Max-Age=900; HttpOnly; SameSite=Strict; Secure');
    expect(refresh).toContain('Path=/api/v1/auth/session;');
    expect(refresh).toContain('HttpOnly');
    expect(csrf).toBe('rn_csrf=csrf1; Path=/; Max-Age=86400; SameSite=Strict; Secure');
    expect(handoff).toContain('rn_console=acc.tok.sig; Path=/api/v1/auth/resource-handoff;');
    expect(clearedSessionCookies({ secure: false }).every((c) => c.includes('Max-Age=0'))).toBe(true);
  });

  it('reads with the cookie alone and writes only with the matching CSRF header', () => {
    const cookie = `${SESSION_COOKIE}=abc; ${CSRF_COOKIE}=xyz`;
    const sut = (method: string, csrfHeader?: string) =>
      authorizationOf({ method, authorization: undefined, cookie, csrfHeader });
    expect(sut('GET')).toBe('Bearer abc');
    expect(sut('POST', 'xyz')).toBe('Bearer abc');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'])
      for (const header of [undefined, '', 'xy', 'xyz ', 'XYZ'])
        expect(() => sut(method, header)).toThrow(expect.objectContaining({ code: 'AUTH_FORBIDDEN' }));
  });

  it('prefers the Authorization header, which needs no CSRF token, and has no credentials without either', () => {
    expect(
      authorizationOf({
        method: 'DELETE',
        authorization: 'Bearer k',
        cookie: 'rn_session=s',
        csrfHeader: undefined,
      }),
    ).toBe('Bearer k');
    expect(
      authorizationOf({ method: 'POST', authorization: undefined, cookie: 'a=b', csrfHeader: 'x' }),
    ).toBe(undefined);
  });

  it('never accepts a write whose CSRF header differs from the cookie, whatever the two are (2000 random pairs)', () => {
    const value = () => randomBytes(randomInt(0, 45)).toString('base64url');
    for (let i = 0; i < 2000; i++) {
      const cookieCsrf = value();
      const header = i % 2 ? value() : `${cookieCsrf.slice(0, -1)}${cookieCsrf.endsWith('A') ? 'B' : 'A'}`;
      if (header === cookieCsrf) continue;
      expect(() =>
        authorizationOf({
          method: 'POST',
          authorization: undefined,
          cookie: `rn_session=s; rn_csrf=${cookieCsrf}`,
          csrfHeader: header,
        }),
      ).toThrow();
    }
  });

  it('finds a cookie by its exact name among others', () => {
    expect(cookieValue('rn_session_x=1; rn_session=2', 'rn_session')).toBe('2');
    expect(cookieValue('a=1;b=2', 'rn_session')).toBeUndefined();
    expect(cookieValue('rn_session=', 'rn_session')).toBeUndefined();
    expect(cookieValue(undefined, 'rn_session')).toBeUndefined();
  });
});
