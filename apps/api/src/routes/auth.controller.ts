import { Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller, Public } from '../auth/auth.guard';
import { LoginRateLimiter } from '../auth/login-rate-limiter';
import { passwordLogin } from '../auth/password-login';
import { EnableTotpBody, LoginBody, RefreshBody } from '../http/bodies';
import { tokensJson, userJson } from '../http/mappers';
import { Endpoint, ValidBody } from '../http/endpoint';
import {
  AccessTokenJson,
  JwksJson,
  MeJson,
  RevokedJson,
  RotatedKeyJson,
  TokensJson,
  TotpSetupJson,
  UserJson,
} from '../http/responses';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1')
export class AuthController {
  constructor(
    @Inject(IDENTITY) private readonly identity: IdentityClient,
    @Inject(LoginRateLimiter) private readonly limiter: LoginRateLimiter,
  ) {}

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  @Endpoint({
    summary: 'Log in: access token, refresh token',
    tag: 'auth',
    body: LoginBody,
    response: TokensJson,
    errors: [401, 429],
  })
  async login(
    @ValidBody() { email, password, totp }: z.output<typeof LoginBody>,
    @Req() request: FastifyRequest,
  ) {
    const tokens = await passwordLogin(this.identity, this.limiter, { email, password, totp }, request);
    return tokensJson(tokens);
  }

  @Public()
  @Post('auth/refresh')
  @HttpCode(200)
  @Endpoint({
    summary: 'New tokens for a refresh token (which stops working)',
    tag: 'auth',
    body: RefreshBody,
    response: TokensJson,
    errors: [401],
  })
  async refresh(@ValidBody() { refresh_token }: z.output<typeof RefreshBody>) {
    return tokensJson(await this.identity.request('identity.refresh', { refreshToken: refresh_token }));
  }

  @Post('auth/logout')
  @HttpCode(200)
  @Endpoint({
    summary: 'End this session; its tokens stop working at once',
    tag: 'auth',
    response: RevokedJson,
  })
  logout(@Caller() principal: Principal) {
    return this.identity.request('identity.logout', { principal });
  }

  /** `Authorization: Bearer rnk_…` → a short access token, which gateways check without the console. */
  @Post('auth/token')
  @HttpCode(200)
  @Endpoint({
    summary:
      'Exchange the API key you authenticate with for a short access token (≤ 15 min) that gateways accept; revoking the key ends it',
    tag: 'auth',
    response: AccessTokenJson,
  })
  async exchange(@Caller() principal: Principal) {
    const { accessToken, expiresIn } = await this.identity.request('identity.apikey.exchange', { principal });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn };
  }

  @Public()
  @Get('auth/jwks')
  @Endpoint({ summary: 'Public keys that verify access tokens', tag: 'auth', response: JwksJson })
  jwks() {
    return this.identity.request('identity.jwks', {});
  }

  @Post('auth/keys/rotate')
  @HttpCode(200)
  @Endpoint({
    summary: 'New signing key (platform owners); nobody is logged out',
    tag: 'auth',
    response: RotatedKeyJson,
  })
  rotate(@Caller() principal: Principal) {
    return this.identity.request('identity.keys.rotate', { principal });
  }

  @Get('me')
  @Endpoint({ summary: 'Who am I', tag: 'auth', response: MeJson })
  async me(@Caller() principal: Principal) {
    const user = await this.identity.request('identity.users.get', { principal, id: principal.userId });
    return {
      principal: { kind: principal.kind, id: principal.id, org_id: principal.orgId, role: principal.role },
      user: userJson(user),
    };
  }

  @Post('me/totp/setup')
  @HttpCode(200)
  @Endpoint({ summary: 'A new TOTP secret to scan', tag: 'auth', response: TotpSetupJson })
  async setupTotp(@Caller() principal: Principal) {
    const { secret, otpauthUrl } = await this.identity.request('identity.totp.setup', { principal });
    return { secret, otpauth_url: otpauthUrl };
  }

  @Post('me/totp/enable')
  @HttpCode(200)
  @Endpoint({
    summary: 'Turn on TOTP with a code from the device',
    tag: 'auth',
    body: EnableTotpBody,
    response: UserJson,
  })
  async enableTotp(@Caller() principal: Principal, @ValidBody() totp: z.output<typeof EnableTotpBody>) {
    return userJson(await this.identity.request('identity.totp.enable', { principal, ...totp }));
  }

  @Post('me/totp/disable')
  @HttpCode(200)
  @Endpoint({ summary: 'Turn off TOTP', tag: 'auth', response: UserJson })
  async disableTotp(@Caller() principal: Principal) {
    return userJson(await this.identity.request('identity.totp.disable', { principal }));
  }
}
