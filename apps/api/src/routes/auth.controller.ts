import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '@rustronaut/contracts';
import { Caller, Public } from '../auth/auth.guard';
import { LoginRateLimiter } from '../auth/login-rate-limiter';
import { EnableTotpBody, LoginBody, RefreshBody } from '../http/bodies';
import { tokensJson, userJson } from '../http/mappers';
import { body } from '../http/request';
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
  async login(@Body() raw: unknown, @Req() request: FastifyRequest) {
    const { email, password, totp } = body(LoginBody, raw);
    await this.limiter.beforeAttempt(request.ip, email);
    try {
      const tokens = await this.identity.request('identity.login', {
        email,
        password,
        ...(totp ? { totp } : {}),
        ip: request.ip,
        userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
      });
      return tokensJson(tokens);
    } catch (error) {
      if ((error as { code?: string }).code === 'AUTH_INVALID_CREDENTIALS') await this.limiter.failed(email);
      throw error;
    }
  }

  @Public()
  @Post('auth/refresh')
  @HttpCode(200)
  async refresh(@Body() raw: unknown) {
    const { refresh_token } = body(RefreshBody, raw);
    return tokensJson(await this.identity.request('identity.refresh', { refreshToken: refresh_token }));
  }

  @Post('auth/logout')
  @HttpCode(200)
  logout(@Caller() principal: Principal) {
    return this.identity.request('identity.logout', { principal });
  }

  /** `Authorization: Bearer rnk_…` → a short access token, which gateways check without the console. */
  @Post('auth/token')
  @HttpCode(200)
  async exchange(@Caller() principal: Principal) {
    const { accessToken, expiresIn } = await this.identity.request('identity.apikey.exchange', { principal });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn };
  }

  @Public()
  @Get('auth/jwks')
  jwks() {
    return this.identity.request('identity.jwks', {});
  }

  @Post('auth/keys/rotate')
  @HttpCode(200)
  rotate(@Caller() principal: Principal) {
    return this.identity.request('identity.keys.rotate', { principal });
  }

  @Get('me')
  async me(@Caller() principal: Principal) {
    const user = await this.identity.request('identity.users.get', { principal, id: principal.userId });
    return {
      principal: { kind: principal.kind, id: principal.id, org_id: principal.orgId, role: principal.role },
      user: userJson(user),
    };
  }

  @Post('me/totp/setup')
  @HttpCode(200)
  async setupTotp(@Caller() principal: Principal) {
    const { secret, otpauthUrl } = await this.identity.request('identity.totp.setup', { principal });
    return { secret, otpauth_url: otpauthUrl };
  }

  @Post('me/totp/enable')
  @HttpCode(200)
  async enableTotp(@Caller() principal: Principal, @Body() raw: unknown) {
    return userJson(
      await this.identity.request('identity.totp.enable', { principal, ...body(EnableTotpBody, raw) }),
    );
  }

  @Post('me/totp/disable')
  @HttpCode(200)
  async disableTotp(@Caller() principal: Principal) {
    return userJson(await this.identity.request('identity.totp.disable', { principal }));
  }
}
