import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller, Public } from '../auth/auth.guard';
import { passkeyLogin } from '../auth/passkey-login';
import { Endpoint, OutsideApi, ValidBody } from '../http/endpoint';
import { tokensJson } from '../http/mappers';
import {
  NoBody,
  PasskeyJson,
  PasskeyListJson,
  PasskeyOnlyBody,
  PasskeyOnlyJson,
  PasskeySignInBody,
  RegisterPasskeyBody,
  RenamePasskeyBody,
  WebAuthnOptionsJson,
  passkeyJson,
} from '../http/passkey-bodies';
import { TokensJson } from '../http/responses';
import { IDENTITY, type IdentityClient } from './tokens';

/** @simplewebauthn/browser's bundle (global SimpleWebAuthnBrowser), for the sign-in page: read once. */
let browserScript: string | undefined;
const webAuthnBrowserScript = () =>
  // The package exports only its modules; its browser bundle (the "unpkg" file) sits beside them.
  (browserScript ??= readFileSync(
    join(dirname(require.resolve('@simplewebauthn/browser')), '../dist/bundle/index.umd.min.js'),
    'utf8',
  ));

/** Passkeys: yours (register, list, rename, remove, passkeys only), and signing in with one. */
@Controller()
export class PasskeysController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Post('api/v1/me/passkeys/options')
  @HttpCode(200)
  @Endpoint({
    summary: 'Options to register a new passkey (WebAuthn)',
    tag: 'passkeys',
    body: NoBody,
    response: WebAuthnOptionsJson,
  })
  registrationOptions(@Caller() principal: Principal) {
    return this.identity.request('identity.passkeys.registrationOptions', { principal });
  }

  @Post('api/v1/me/passkeys')
  @Endpoint({
    summary: "Register a passkey: the browser's answer to the options",
    tag: 'passkeys',
    body: RegisterPasskeyBody,
    response: PasskeyJson,
  })
  async register(@Caller() principal: Principal, @ValidBody() body: z.output<typeof RegisterPasskeyBody>) {
    return passkeyJson(await this.identity.request('identity.passkeys.register', { principal, ...body }));
  }

  @Get('api/v1/me/passkeys')
  @Endpoint({
    summary: 'Your passkeys, and whether they are your only way in',
    tag: 'passkeys',
    response: PasskeyListJson,
  })
  async list(@Caller() principal: Principal) {
    const { items, passkeyOnly } = await this.identity.request('identity.passkeys.list', { principal });
    return { items: items.map(passkeyJson), passkey_only: passkeyOnly };
  }

  @Patch('api/v1/me/passkeys/:id')
  @Endpoint({
    summary: 'Rename one of your passkeys',
    tag: 'passkeys',
    body: RenamePasskeyBody,
    response: PasskeyJson,
  })
  async rename(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() { name }: z.output<typeof RenamePasskeyBody>,
  ) {
    return passkeyJson(
      await this.identity.request('identity.passkeys.rename', { principal, credentialId: id, name }),
    );
  }

  @Delete('api/v1/me/passkeys/:id')
  @HttpCode(204)
  @Endpoint({
    summary: 'Remove one of your passkeys (not the last one while passkeys are your only way in)',
    tag: 'passkeys',
  })
  async remove(@Caller() principal: Principal, @Param('id') id: string) {
    await this.identity.request('identity.passkeys.remove', { principal, credentialId: id });
  }

  @Put('api/v1/me/passkey-only')
  @Endpoint({
    summary: 'Make passkeys your only way in (a password alone is then refused), or not',
    tag: 'passkeys',
    body: PasskeyOnlyBody,
    response: PasskeyOnlyJson,
  })
  async passkeyOnly(
    @Caller() principal: Principal,
    @ValidBody() { enabled }: z.output<typeof PasskeyOnlyBody>,
  ) {
    const { passkeyOnly } = await this.identity.request('identity.passkeys.only', { principal, enabled });
    return { passkey_only: passkeyOnly };
  }

  @Public()
  @Post('api/v1/auth/passkey/options')
  @HttpCode(200)
  @Endpoint({
    summary: 'Options to sign in with a passkey (no email needed)',
    tag: 'auth',
    body: NoBody,
    response: WebAuthnOptionsJson,
  })
  authenticationOptions() {
    return this.identity.request('identity.passkeys.authenticationOptions', {});
  }

  @Public()
  @Post('api/v1/auth/passkey')
  @HttpCode(200)
  @Endpoint({
    summary: "Sign in with a passkey: the browser's answer to the options; tokens",
    tag: 'auth',
    body: PasskeySignInBody,
    response: TokensJson,
    errors: [401],
  })
  async signIn(
    @ValidBody() { response }: z.output<typeof PasskeySignInBody>,
    @Req() request: FastifyRequest,
  ) {
    return tokensJson(await passkeyLogin(this.identity, response, request));
  }

  @Public()
  @Get('login/webauthn.js')
  @OutsideApi("the sign-in page's script (@simplewebauthn/browser), not the API")
  script(@Res() reply: FastifyReply) {
    return reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(webAuthnBrowserScript());
  }
}
