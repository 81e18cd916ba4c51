import type { Principal } from '@rustronaut/contracts';
import type { IdentityClient, PolicyClient } from '@rustronaut/messaging';
import { ApiError, ApiErrorCode } from '../http/api-errors';
import { parseReturnUrl } from './return-url';

/** Where a gateway takes the sign-in hand-off (on the resource's own host). */
export const GATEWAY_CALLBACK_PATH = '/.rustronaut/auth/callback';

/**
 * Browser sign-in to a resource: after the person signed in to the console, their session is handed
 * to the resource's gateway. The return URL must be plain http(s) and its host a domain of one of
 * the organisation's resources that accepts console sign-in; anything else is refused, so the
 * console never redirects to a host it does not serve (no open redirect).
 */
export class ResourceSignIn {
  constructor(
    private readonly policy: PolicyClient,
    private readonly identity: IdentityClient,
  ) {}

  async handoff(principal: Principal, returnUrl: string): Promise<{ redirectUrl: string }> {
    const target = parseReturnUrl(returnUrl);
    const unknown = (why: string) =>
      new ApiError(ApiErrorCode.UnknownReturnHost, `This sign-in link's return address is refused: ${why}.`, {
        details: { host: target.host },
      });
    let resource;
    try {
      resource = await this.policy.request('policy.resources.byHost', {
        principal,
        host: target.host,
        path: target.pathAndQuery.split('?')[0] || '/',
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'POLICY_NOT_FOUND')
        throw unknown(`${target.host} is not a resource of your organisation`);
      throw error;
    }
    if (resource.protocol !== 'http' || !resource.authMethods.includes('sso'))
      throw unknown(`${resource.name} does not accept console sign-in`);
    const { token } = await this.identity.request('identity.handoff.issue', {
      principal,
      resourceId: resource.id,
      host: target.host,
    });
    const query = new URLSearchParams({ token, return: target.pathAndQuery });
    return {
      redirectUrl: `${target.scheme}://${target.authority}${GATEWAY_CALLBACK_PATH}?${query.toString()}`,
    };
  }
}
