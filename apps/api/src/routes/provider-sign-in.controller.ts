import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { isDomainError } from '@rustronaut/contracts';
import { Public } from '../auth/auth.guard';
import { STATUS_BY_CODE } from '../http/api-errors';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import {
  OidcStartQuery,
  RedeemSignInBody,
  SignInProvidersJson,
  SignInProvidersQuery,
  signInProviderJson,
} from '../http/identity-provider-bodies';
import { tokensJson } from '../http/mappers';
import { LoginPageHtml, TokensJson } from '../http/responses';
import { codePage, pageHeaders, refusedPage } from '../sign-in/login-page';
import { ProviderSignIn, type BrowserAnswer } from '../sign-in/provider-sign-in';
import { IDENTITY, type IdentityClient } from './tokens';

const clientOf = (request: FastifyRequest) => ({
  cookie: request.headers.cookie,
  ip: request.ip,
  userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
});

/**
 * Sign-in through an organisation's identity provider: which providers a sign-in page offers, the
 * browser's start and the provider's callback (redirects and pages, for a browser), and the CLI's
 * redemption of its one-time code.
 */
@Controller('api/v1/auth')
export class ProviderSignInController {
  constructor(
    @Inject(IDENTITY) private readonly identity: IdentityClient,
    @Inject(ProviderSignIn) private readonly signIn: ProviderSignIn,
  ) {}

  @Public()
  @Get('providers')
  @Endpoint({
    summary:
      "The identity providers a sign-in page offers (an organisation's, by slug; default organisation otherwise)",
    tag: 'auth',
    query: SignInProvidersQuery,
    response: SignInProvidersJson,
  })
  async providers(@ValidQuery() query: z.output<typeof SignInProvidersQuery>) {
    const found = await this.identity.request(
      'identity.idp.forSignIn',
      query.org ? { orgSlug: query.org } : {},
    );
    return { organization: found.organization, providers: found.items.map(signInProviderJson) };
  }

  @Public()
  @Get('oidc/:id/start')
  @Endpoint({
    summary:
      'Browser: start signing in through this provider (302 to it); where to land after is one of return, console, cli_redirect',
    tag: 'auth',
    query: OidcStartQuery,
    response: LoginPageHtml,
    produces: 'text/html',
  })
  async start(
    @Param('id') id: string,
    @ValidQuery() query: z.output<typeof OidcStartQuery>,
    @Res() reply: FastifyReply,
  ) {
    return this.#answer(reply, () => this.signIn.start(id, query));
  }

  @Public()
  @Get('oidc/:id/callback')
  @Endpoint({
    summary:
      "Browser: the provider's redirect back (the redirect_uri to register); 302 to where the sign-in lands",
    tag: 'auth',
    response: LoginPageHtml,
    produces: 'text/html',
  })
  async callback(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const query = request.raw.url?.split('?')[1] ?? '';
    return this.#answer(reply, () => this.signIn.callback(id, query, clientOf(request)));
  }

  @Public()
  @Post('oidc/redeem')
  @HttpCode(200)
  @Endpoint({
    summary: "The CLI: tokens for the one-time code of a provider sign-in, with the CLI's PKCE verifier",
    tag: 'auth',
    body: RedeemSignInBody,
    response: TokensJson,
    errors: [401],
  })
  async redeem(@ValidBody() body: z.output<typeof RedeemSignInBody>, @Req() request: FastifyRequest) {
    return tokensJson(await this.signIn.redeem(body, clientOf(request)));
  }

  /** A browser gets a redirect or a page, never JSON: a refusal is a page that says why. */
  async #answer(reply: FastifyReply, run: () => Promise<BrowserAnswer>) {
    const nonce = randomBytes(16).toString('base64');
    void reply.headers(pageHeaders(nonce));
    try {
      const answer = await run();
      void reply.header('set-cookie', answer.cookies);
      if (answer.kind === 'code') return reply.send(codePage(answer.code));
      return reply.redirect(answer.location, 302);
    } catch (error) {
      if (!isDomainError(error)) throw error;
      return reply.status(STATUS_BY_CODE[error.code] ?? 500).send(refusedPage(error.message));
    }
  }
}
