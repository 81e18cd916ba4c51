import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { Public } from '../auth/auth.guard';
import { Authenticator } from '../auth/authenticator';
import { ResourceHandoffBody } from '../http/bodies';
import { Endpoint, ValidBody } from '../http/endpoint';
import { HandoffJson, LoginPageHtml } from '../http/responses';
import { loginPage, pageHeaders, refusedPage } from '../sign-in/login-page';
import { consoleCookieHeader, consoleCookieOf, secondsLeft } from '../sign-in/console-cookie';
import { ResourceSignIn } from '../sign-in/resource-sign-in';
import { parseReturnUrl } from '../sign-in/return-url';
import { IDENTITY, POLICY, PUBLIC_URL, type IdentityClient, type PolicyClient } from './tokens';

/** Browser sign-in to a resource: the console's login page, and the hand-off to the resource's gateway. */
@Controller()
export class SignInController {
  constructor(
    @Inject(ResourceSignIn) private readonly signIn: ResourceSignIn,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(PUBLIC_URL) private readonly publicUrl: string,
    @Inject(IDENTITY) private readonly identity: IdentityClient,
    @Inject(POLICY) private readonly policy: PolicyClient,
  ) {}

  /** Where a gateway sends a browser without a session: `/login?return=<the resource URL>`. */
  @Public()
  @Get('login')
  @Endpoint({
    summary: 'The console sign-in page for a resource (`?return=<the resource URL>`), HTML',
    tag: 'auth',
    response: LoginPageHtml,
    produces: 'text/html',
  })
  async page(
    @Query('return') returnUrl: string | undefined,
    @Query('org') org: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const nonce = randomBytes(16).toString('base64');
    void reply.headers(pageHeaders(nonce));
    try {
      parseReturnUrl(returnUrl);
    } catch (error) {
      return reply.status(400).send(refusedPage((error as Error).message));
    }
    // The identity providers of the organisation whose resource this is (`?org=<slug>` names
    // another); the password and passkey stay usable when they cannot be listed.
    const which =
      org && /^[a-z0-9-]{1,63}$/.test(org)
        ? { orgSlug: org }
        : await this.policy
            .request('policy.resources.orgOfHost', { host: new URL(returnUrl!).hostname })
            .then(({ orgId }) => ({ orgId }))
            .catch(() => ({}));
    const providers = await this.identity
      .request('identity.idp.forSignIn', which)
      .then(({ items }) => items.map((p) => ({ name: p.name, startUrl: p.startPath })))
      .catch(() => []);
    return reply.send(loginPage({ returnUrl: returnUrl!, nonce, providers }));
  }

  /**
   * The signed-in caller's hand-off to the resource at `return_url`: where to send the browser. The
   * caller is the bearer token, or else the console's sign-in cookie; `remember: true` (the login
   * page, after a password) keeps the bearer access token in that cookie for the next resources.
   */
  @Public()
  @Post('api/v1/auth/resource-handoff')
  @HttpCode(200)
  @Endpoint({
    summary:
      'After browser sign-in: where to send the browser so the resource at return_url gets a session (its host must be a resource of your organisation)',
    tag: 'auth',
    body: ResourceHandoffBody,
    response: HandoffJson,
    errors: [401, 403],
  })
  async handoff(
    @Req() request: FastifyRequest,
    @ValidBody() { return_url, remember }: z.output<typeof ResourceHandoffBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const bearer = request.headers.authorization;
    const cookie = consoleCookieOf(request.headers.cookie);
    const principal = await this.authenticator.authenticate(
      bearer ?? (cookie ? `Bearer ${cookie}` : undefined),
    );
    const { redirectUrl } = await this.signIn.handoff(principal, return_url);
    const token = /^Bearer\s+(\S+)$/i.exec(bearer ?? '')?.[1];
    if (remember && token && principal.kind === 'user') {
      void reply.header(
        'set-cookie',
        consoleCookieHeader(token, {
          maxAgeS: secondsLeft(token, Date.now()),
          secure: this.publicUrl.startsWith('https:'),
        }),
      );
    }
    return { redirect_url: redirectUrl };
  }
}
