import type { FastifyRequest } from 'fastify';
import type { TokenPair } from '@rustronaut/contracts';
import type { IdentityClient } from '@rustronaut/messaging';
import type { LoginRateLimiter } from './login-rate-limiter';

export interface PasswordCredentials {
  email: string;
  password: string;
  totp?: string | undefined;
}

/**
 * A sign-in with email, password (and TOTP code): within the login limits, through the identity
 * service; a wrong password counts against the account. Bearer login and the web console share it.
 */
export async function passwordLogin(
  identity: IdentityClient,
  limiter: LoginRateLimiter,
  { email, password, totp }: PasswordCredentials,
  request: FastifyRequest,
): Promise<TokenPair> {
  await limiter.beforeAttempt(request.ip, email);
  try {
    return await identity.request('identity.login', {
      email,
      password,
      ...(totp ? { totp } : {}),
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'AUTH_INVALID_CREDENTIALS') await limiter.failed(email);
    throw error;
  }
}
