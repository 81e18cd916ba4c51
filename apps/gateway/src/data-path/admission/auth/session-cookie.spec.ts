import { randomBytes } from 'node:crypto';
import { SessionCookies, cookieValue, withoutSessionCookies, type ResourceSession } from './session-cookie';

const secret = randomBytes(32);
const now = Date.now();
const session: ResourceSession = {
  via: 'sso',
  resourceId: 'res_1',
  host: 'app.example.com',
  orgId: 'org_1',
  userId: 'usr_1',
  email: 'a@example.com',
  role: 'member',
  sessionId: 'ses_1',
  expiresAt: Math.floor(now / 1000) + 60,
};

describe('SessionCookies', () => {
  it('opens a cookie it minted, on the same resource and host', () => {
    const value = SessionCookies.mint(secret, session);
    expect(SessionCookies.open(secret, value, 'res_1', 'app.example.com', now)).toEqual(session);
  });

  it('refuses a cookie for another resource or host, expired, tampered with, or under another secret', () => {
    const value = SessionCookies.mint(secret, session);
    expect(SessionCookies.open(secret, value, 'res_2', 'app.example.com', now)).toBeUndefined();
    expect(SessionCookies.open(secret, value, 'res_1', 'evil.example.com', now)).toBeUndefined();
    expect(SessionCookies.open(secret, value, 'res_1', 'app.example.com', now + 61_000)).toBeUndefined();
    expect(SessionCookies.open(randomBytes(32), value, 'res_1', 'app.example.com', now)).toBeUndefined();
    const forged = Buffer.from(JSON.stringify({ ...session, userId: 'usr_admin' })).toString('base64url');
    expect(
      SessionCookies.open(secret, `${forged}.${value.split('.')[1]}`, 'res_1', 'app.example.com', now),
    ).toBeUndefined();
    expect(SessionCookies.open(secret, 'garbage', 'res_1', 'app.example.com', now)).toBeUndefined();
  });

  it('writes a host-only, HttpOnly, SameSite=Lax cookie, Secure over https', () => {
    expect(SessionCookies.header('rn_sess_res_1', 'v', { secure: true, maxAgeS: 30 })).toBe(
      'rn_sess_res_1=v; Path=/; Max-Age=30; HttpOnly; SameSite=Lax; Secure',
    );
    expect(SessionCookies.header('rn_sess_res_1', 'v', { secure: false, maxAgeS: 30 })).not.toMatch(
      /Secure|Domain/,
    );
  });
});

describe('cookie headers', () => {
  it('finds one cookie by its exact name', () => {
    expect(cookieValue('a=1; rn_sess_res_1=xyz; b=2', 'rn_sess_res_1')).toBe('xyz');
    expect(cookieValue('xrn_sess_res_1=no; rn_sess_res_1=yes', 'rn_sess_res_1')).toBe('yes');
    expect(cookieValue('rn_sess_res_10=no', 'rn_sess_res_1')).toBeUndefined();
    expect(cookieValue(undefined, 'rn_sess_res_1')).toBeUndefined();
  });

  it('strips the session cookies and keeps the application’s', () => {
    expect(withoutSessionCookies('a=1; rn_sess_res_1=xyz; b=2')).toBe('a=1; b=2');
    expect(withoutSessionCookies('rn_sess_res_1=xyz')).toBeUndefined();
    expect(withoutSessionCookies('a=1')).toBe('a=1');
  });
});
