import { Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AccessError, AccessErrorCode } from '@rustronaut/contracts';
import { Public } from '../auth/auth.guard';
import { Authenticator } from '../auth/authenticator';
import { LoginRateLimiter } from '../auth/login-rate-limiter';
import { passkeyLogin } from '../auth/passkey-login';
import { passwordLogin } from '../auth/password-login';
import { LoginBody } from '../http/bodies';
import { PasskeySignInBody } from '../http/passkey-bodies';
import { Endpoint, ValidBody } from '../http/endpoint';
import { ConsoleSessionJson, SignedOutJson, StartedSessionJson } from '../http/responses';
import {
  REFRESH_COOKIE,
  SESSION_COOKIE,
  assertCsrf,
  clearedSessionCookies,
  cookieValue,
  newCsrfToken,
  sessionCookies,
  type SessionTokens,
} from '../sign-in/console-session';
import { CONSOLE_SESSION, IDENTITY, type ConsoleSessionSettings, type IdentityClient } from './tokens';

/**
 * The web console's sign-in: the same identity service as POST /auth/login, but the tokens go into
 * HttpOnly cookies (see console-session.ts) and the body carries only the CSRF token.
 */
@Controller('api/v1/auth/session')
export class ConsoleSessionController {
  constructor(
    @Inject(IDENTITY) private readonly identity: IdentityClient,
    @Inject(LoginRateLimiter) private readonly limiter: LoginRateLimiter,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(CONSOLE_SESSION) private readonly settings: ConsoleSessionSettings,
  ) {}

  @Public()
  @Post()
  @HttpCode(200)
  @Endpoint({
    summary:
      'Sign the web console in: the tokens go into HttpOnly cookies, the answer carries the CSRF token',
    tag: 'auth',
    body: LoginBody,
    response: StartedSessionJson,
    errors: [401, 429],
  })
  async signIn(
    @ValidBody() { email, password, totp }: z.output<typeof LoginBody>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const tokens = await passwordLogin(this.identity, this.limiter, { email, password, totp }, request);
    return this.#started(tokens, reply);
  }

  /** Signing in with a passkey (options from POST /auth/passkey/options): the session in cookies. */
  @Public()
  @Post('passkey')
  @HttpCode(200)
  @Endpoint({
    summary:
      "Sign the web console in with a passkey: the browser's answer to the options; the tokens go into HttpOnly cookies",
    tag: 'auth',
    body: PasskeySignInBody,
    response: StartedSessionJson,
    errors: [401],
  })
  async signInWithPasskey(
    @ValidBody() { response }: z.output<typeof PasskeySignInBody>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.#started(await passkeyLogin(this.identity, response, request), reply);
  }

  /** A new access token for the browser's refresh cookie (the session went on past its access token). */
  @Public()
  @Post('refresh')
  @HttpCode(200)
  @Endpoint({
    summary: "A new access token for the browser's refresh cookie (X-CSRF-Token required)",
    tag: 'auth',
    response: StartedSessionJson,
    errors: [401, 403],
  })
  async refresh(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    assertCsrf({ cookie: request.headers.cookie, csrfHeader: request.headers['x-csrf-token'] });
    const refreshToken = cookieValue(request.headers.cookie, REFRESH_COOKIE);
    if (!refreshToken) throw new AccessError(AccessErrorCode.Unauthenticated, 'no console session: sign in');
    return this.#started(await this.identity.request('identity.refresh', { refreshToken }), reply);
  }

  /** Who is signed in on this browser, and the CSRF token its writes must carry. */
  @Public()
  @Get()
  @Endpoint({
    summary: 'Who is signed in on this browser (the console session cookie)',
    tag: 'auth',
    response: ConsoleSessionJson,
    errors: [401],
  })
  async current(@Req() request: FastifyRequest) {
    const token = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const principal = await this.authenticator.authenticate(token ? `Bearer ${token}` : undefined);
    return { user_id: principal.userId, org_id: principal.orgId, role: principal.role };
  }

  /** Sign out: the session ends for every token of it (gateways included), and the cookies go. */
  @Public()
  @Delete()
  @HttpCode(200)
  @Endpoint({
    summary: 'Sign the web console out: the session ends everywhere, the cookies go',
    tag: 'auth',
    response: SignedOutJson,
    errors: [403],
  })
  async signOut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('set-cookie', clearedSessionCookies({ secure: this.settings.secure }));
    const token = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (!token) return { signed_out: true };
    assertCsrf({ cookie: request.headers.cookie, csrfHeader: request.headers['x-csrf-token'] });
    const principal = await this.authenticator.authenticate(`Bearer ${token}`).catch(() => undefined);
    if (principal) await this.identity.request('identity.logout', { principal });
    return { signed_out: true };
  }

  #started(tokens: SessionTokens, reply: FastifyReply) {
    const csrf = newCsrfToken();
    void reply.header('set-cookie', sessionCookies(tokens, csrf, this.settings));
    return { csrf_token: csrf, expires_in: tokens.expiresIn };
  }
}
