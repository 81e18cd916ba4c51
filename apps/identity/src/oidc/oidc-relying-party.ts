import * as oidc from 'openid-client';
import { isLoopbackHost } from '@rustronaut/contracts';
import { IdentityError, IdentityErrorCode } from '../domain/errors';

/** What the console needs of a provider to sign someone in through it. */
export interface RelyingPartySettings {
  providerId: string;
  /** Changes whenever the settings do: a cached discovery is used only for the same version. */
  version: number;
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** The one-use values of one sign-in: they travel only through our server-side store. */
export interface AuthorizationChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

const DISCOVERY_TTL_MS = 10 * 60_000;
const HTTP_TIMEOUT_S = 10;

/**
 * The console as an OpenID Connect relying party, through `openid-client` (discovery, PKCE S256,
 * state, nonce, the code exchange and every ID token check: issuer, audience, expiry, signature from
 * the provider's JWKS, never `alg: none`). Discovery is cached per provider and settings version.
 */
export class OidcRelyingParty {
  readonly #configurations = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();

  constructor(private readonly clock: () => Date) {}

  /** The provider's authorization URL for a new sign-in, and the checks to keep for its callback. */
  async begin(
    settings: RelyingPartySettings,
    request: { redirectUri: string; scopes: string[] },
  ): Promise<{ url: string; checks: AuthorizationChecks }> {
    const config = await this.#configuration(settings);
    const checks = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: request.redirectUri,
      scope: request.scopes.join(' '),
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url: url.href, checks };
  }

  /**
   * Exchanges the callback's code (PKCE verifier, exact redirect URI) and returns the checked ID
   * token's claims. Any failed check throws `AUTH_SIGN_IN_REFUSED` saying which.
   */
  async complete(
    settings: RelyingPartySettings,
    callback: { redirectUri: string; query: string },
    checks: AuthorizationChecks,
  ): Promise<Record<string, unknown>> {
    const config = await this.#configuration(settings);
    const currentUrl = new URL(callback.redirectUri);
    currentUrl.search = callback.query;
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(
        config,
        currentUrl,
        {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: callback.redirectUri },
      );
    } catch (error) {
      throw refused(describe(error), error);
    }
    const claims = tokens.claims();
    if (!claims) throw refused('the provider returned no ID token');
    return { ...claims };
  }

  async #configuration(settings: RelyingPartySettings): Promise<oidc.Configuration> {
    const key = `${settings.providerId}:${settings.version}`;
    const cached = this.#configurations.get(key);
    const now = this.clock().getTime();
    if (cached && now - cached.at < DISCOVERY_TTL_MS) return cached.config;
    for (const k of this.#configurations.keys())
      if (k.startsWith(`${settings.providerId}:`)) this.#configurations.delete(k);
    const issuer = new URL(settings.issuer);
    const config = oidc
      .discovery(issuer, settings.clientId, settings.clientSecret, undefined, {
        timeout: HTTP_TIMEOUT_S,
        execute: [
          // The ID token's signature is checked against the provider's JWKS even though it came
          // straight from the token endpoint (openid-client skips that by default, as OIDC allows).
          oidc.enableNonRepudiationChecks,
          // Plain http only to a provider on this machine's loopback (development, tests).
          ...(issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname)
            ? [oidc.allowInsecureRequests]
            : []),
        ],
      })
      .catch((error: unknown) => {
        this.#configurations.delete(key);
        throw new IdentityError(
          IdentityErrorCode.ProviderUnavailable,
          `the identity provider's discovery at ${settings.issuer} failed: ${describe(error)}`,
          { cause: error },
        );
      });
    this.#configurations.set(key, { at: now, config });
    return config;
  }
}

const refused = (why: string, cause?: unknown) =>
  new IdentityError(IdentityErrorCode.SignInRefused, `sign-in refused: ${why}`, { cause });

function describe(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError)
    return `the provider answered ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`;
  if (error instanceof oidc.ResponseBodyError)
    return `the token endpoint answered ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
