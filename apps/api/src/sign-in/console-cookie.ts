/**
 * The console's own browser session for resource sign-in: after someone signs in on the console's
 * login page, their access token is kept in an HttpOnly cookie that only the hand-off route
 * receives (Path), never sent cross-site (SameSite=Strict), and living no longer than the token. The
 * next resource they open then needs no password until it expires; logout revokes it like the token.
 */
export const CONSOLE_COOKIE = 'rn_console';
export const HANDOFF_PATH = '/api/v1/auth/resource-handoff';

export function consoleCookieHeader(token: string, options: { maxAgeS: number; secure: boolean }): string {
  return `${CONSOLE_COOKIE}=${token}; Path=${HANDOFF_PATH}; Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;
}

export function consoleCookieOf(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === CONSOLE_COOKIE && value) return value;
  }
  return undefined;
}

/** Seconds until an (already verified) JWT expires. */
export function secondsLeft(jwt: string, nowMs: number): number {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
      exp?: number;
    };
    return (payload.exp ?? 0) - Math.floor(nowMs / 1000);
  } catch {
    return 0;
  }
}
