import type { FastifyRequest } from 'fastify';
import type { TokenPair } from '@rustronaut/contracts';
import type { IdentityClient } from '@rustronaut/messaging';

/** Where a sign-in came from, as the identity service records it with the session. */
const signInClient = (request: FastifyRequest) => ({
  ip: request.ip,
  userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
});

/**
 * A sign-in with a passkey: the browser's answer to the options, checked by the identity service
 * (single-use challenge). Bearer sign-in and the web console share it.
 */
export function passkeyLogin(
  identity: IdentityClient,
  response: Record<string, unknown>,
  request: FastifyRequest,
): Promise<TokenPair> {
  return identity.request('identity.passkeys.authenticate', { response, ...signInClient(request) });
}
