import { randomBytes } from 'node:crypto';
import type { SignInReturn, TokenPair } from '@rustronaut/contracts';
import type { IdentityClient } from '@rustronaut/messaging';
import { newCsrfToken, sessionCookies, cookieValue, type CookieOptions } from './console-session';
import { parseReturnUrl } from './return-url';

/** The cookie that ties a provider's callback to the browser that started the sign-in. */
export const OIDC_BINDING_COOKIE = 'rn_oidc';
const OIDC_PATH = '/api/v1/auth/oidc';
const BINDING_TTL_S = 10 * 60;

export interface StartQuery {
  return?: string | undefined;
  console?: string | undefined;
  cli_redirect?: string | undefined;
  cli_challenge?: string | undefined;
}

/** What the browser gets: a redirect (with cookies), or a page (the CLI's code to copy). */
export type BrowserAnswer =
  | { kind: 'redirect'; location: string; cookies: string[] }
  | { kind: 'code'; code: string; cookies: string[] };

/**
 * Browser sign-in through an organisation's identity provider, on the API's side: the start sets a
 * random binding cookie and sends the browser to the provider; the callback hands the query and
 * that cookie to identity, which checks everything, then the browser lands where it was going —
 * the web console (session cookies), a resource (through the login page, which hands the session
 * to the gateway), or the CLI (its loopback redirect, or a code shown to copy).
 */
export class ProviderSignIn {
  constructor(
    private readonly identity: IdentityClient,
    private readonly cookies: CookieOptions,
  ) {}

  async start(providerId: string, query: StartQuery): Promise<BrowserAnswer> {
    const returnTo = returnOf(query);
    const binding = randomBytes(32).toString('base64url');
    const { authorizationUrl } = await this.identity.request('identity.oidc.start', {
      providerId,
      browserBinding: binding,
      returnTo,
    });
    return { kind: 'redirect', location: authorizationUrl, cookies: [this.#binding(binding, BINDING_TTL_S)] };
  }

  async callback(
    providerId: string,
    rawQuery: string,
    client: { cookie: string | undefined; ip: string; userAgent: string | null },
  ): Promise<BrowserAnswer> {
    const { code, returnTo } = await this.identity.request('identity.oidc.complete', {
      providerId,
      query: rawQuery,
      browserBinding: cookieValue(client.cookie, OIDC_BINDING_COOKIE) ?? null,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    const cleared = this.#binding('', 0);
    if (returnTo.kind === 'cli') {
      if (returnTo.redirect === 'manual') return { kind: 'code', code, cookies: [cleared] };
      const location = new URL(returnTo.redirect);
      location.searchParams.set('code', code);
      return { kind: 'redirect', location: location.href, cookies: [cleared] };
    }
    const tokens = await this.redeem({ code }, client);
    const cookies = [...sessionCookies(tokens, newCsrfToken(), this.cookies), cleared];
    const location =
      returnTo.kind === 'resource' ? `/login?return=${encodeURIComponent(returnTo.url)}` : returnTo.path;
    return { kind: 'redirect', location, cookies };
  }

  redeem(
    body: { code: string; verifier?: string | undefined },
    client: { ip: string; userAgent: string | null },
  ): Promise<TokenPair> {
    return this.identity.request('identity.signin.redeem', {
      code: body.code,
      ...(body.verifier ? { verifier: body.verifier } : {}),
      ip: client.ip,
      userAgent: client.userAgent,
    });
  }

  #binding(value: string, maxAgeS: number): string {
    return `${OIDC_BINDING_COOKIE}=${value}; Path=${OIDC_PATH}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${this.cookies.secure ? '; Secure' : ''}`;
  }
}

function returnOf(query: StartQuery): SignInReturn {
  if (query.return !== undefined) {
    parseReturnUrl(query.return); // the shape now; the host is checked at the hand-off
    return { kind: 'resource', url: query.return };
  }
  if (query.cli_redirect !== undefined && query.cli_challenge !== undefined)
    return { kind: 'cli', redirect: query.cli_redirect, challenge: query.cli_challenge };
  return { kind: 'console', path: query.console ?? '/' };
}
