import { createApiClient, type Answer, type ApiClient } from '@rustronaut/api-client';
import type { Credentials, Session } from './credentials';
import { CliError, CliErrorCode, ConsoleApiError } from './errors';

/** What the console's REST API answers on failure (docs/errors.md). */
interface ApiErrorBody {
  error: { status: number; code: string; message: string };
}

type TokensJson = Answer<'/api/v1/auth/login', 'post'>;

/**
 * Where a session lives between processes (the credentials file). Refresh tokens are single-use:
 * two processes refreshing with the same one would end the session, so renewals take turns and
 * adopt a renewal another process stored meanwhile.
 */
export interface SessionKeeper {
  /** Runs `renew` alone among the processes sharing these credentials. */
  exclusive<T>(renew: () => Promise<T>): Promise<T>;
  /** The session stored now. */
  latest(): Session | undefined;
  save(session: Session): void;
}

export interface ConsoleClientOptions {
  auth?: Credentials['auth'];
  /** Stores refreshed sessions and shares them with other processes. */
  sessions?: SessionKeeper;
  timeoutMs?: number;
  now?: () => number;
}

/** Refresh this long before the access token expires, so a request never races its expiry. */
const REFRESH_MARGIN_MS = 30_000;

const HINTS: Record<string, string> = {
  AUTH_UNAUTHENTICATED: 'log in with `rustronaut login`',
  AUTH_INVALID_TOKEN: 'log in again with `rustronaut login`',
  AUTH_INVALID_CREDENTIALS: 'check the email and password (and the TOTP code) and try again',
  AUTH_RATE_LIMITED: 'wait a minute before trying again',
  AUTH_FORBIDDEN: 'ask an admin of your organization for the role this needs',
  POLICY_DOMAIN_TAKEN: 'pick another --subdomain, or leave it out for a random name',
  EVENTSTORE_PRECONDITION_FAILED: 'reload it, and make your change again on what it is now',
};

/** What a person reads for an API error: a failed precondition (HTTP 412) says what happened first. */
function messageOf(status: number, failure: { message: string }): string {
  return status === 412 ? `changed by someone else — reload (${failure.message})` : failure.message;
}

/** The data of a successful call of the typed client (its failures have thrown already). */
export async function data<T>(call: Promise<{ data?: T }>): Promise<T> {
  return (await call).data as T;
}

/**
 * The console's REST API as the CLI uses it: the typed client generated from the API's OpenAPI
 * document (`api.GET('/api/v1/services')`), authenticated with the stored session or API key. An
 * expiring access token is refreshed by itself; failures become CliErrors that say what to do next.
 */
export class ConsoleClient {
  /** Calls as the logged-in caller. */
  readonly api: ApiClient;
  /** Calls without credentials (log in, refresh). */
  readonly #anonymous: ApiClient;
  #auth: Credentials['auth'] | undefined;
  #exchanged: { token: string; expiresAt: number } | undefined;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(
    readonly url: string,
    private readonly options: ConsoleClientOptions = {},
  ) {
    this.url = url.replace(/\/+$/, '');
    this.#auth = options.auth;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#now = options.now ?? Date.now;
    this.api = createApiClient({ baseUrl: this.url, fetch: (request) => this.#authenticated(request) });
    this.#anonymous = createApiClient({ baseUrl: this.url, fetch: (request) => this.#send(request) });
  }

  /**
   * An access token to show a gateway (`rustronaut forward`): the session's, refreshed when it
   * expires soon; for an API key, one exchanged at POST /auth/token and kept until it expires.
   */
  async accessToken(): Promise<string> {
    const auth = this.#auth;
    if (auth?.kind === 'session') {
      if (auth.expires_at - REFRESH_MARGIN_MS <= this.#now()) await this.#refresh(auth);
      return this.#accessToken();
    }
    if (this.#exchanged && this.#exchanged.expiresAt - REFRESH_MARGIN_MS > this.#now())
      return this.#exchanged.token;
    const tokens = await data(this.api.POST('/api/v1/auth/token'));
    this.#exchanged = { token: tokens.access_token, expiresAt: this.#now() + tokens.expires_in * 1000 };
    return tokens.access_token;
  }

  /** Password login (with the TOTP code when the account has two factors): a new session. */
  async login(email: string, password: string, totp?: string): Promise<Session> {
    const tokens = await data(
      this.#anonymous.POST('/api/v1/auth/login', { body: { email, password, ...(totp ? { totp } : {}) } }),
    );
    return this.#session(tokens);
  }

  /** The identity providers an organisation's sign-in offers (its slug; the default organisation's otherwise). */
  async signInProviders(org?: string) {
    return data(this.#anonymous.GET('/api/v1/auth/providers', { params: { query: org ? { org } : {} } }));
  }

  /** Tokens for the one-time code of a browser sign-in, with the verifier of the PKCE pair this CLI made. */
  async redeemSignIn(code: string, verifier: string): Promise<Session> {
    return this.#session(
      await data(this.#anonymous.POST('/api/v1/auth/oidc/redeem', { body: { code, verifier } })),
    );
  }

  async #authenticated(request: Request): Promise<Response> {
    const auth = this.#auth;
    if (!auth)
      throw new CliError(
        CliErrorCode.NotLoggedIn,
        'not logged in',
        'log in with `rustronaut login --console URL --email you@example.com`',
      );
    if (auth.kind === 'api_key') return this.#send(request, auth.api_key);
    if (auth.expires_at - REFRESH_MARGIN_MS <= this.#now()) await this.#refresh(auth);
    const retry = request.clone();
    try {
      return await this.#send(request, this.#accessToken());
    } catch (error) {
      // Expired early (clock skew) or rotated keys: one refresh, one retry.
      if (!(error instanceof CliError) || error.code !== 'AUTH_UNAUTHENTICATED') throw error;
      await this.#refresh(this.#auth as Session);
      return this.#send(retry, this.#accessToken());
    }
  }

  #accessToken(): string {
    return (this.#auth as Session).access_token;
  }

  async #refresh(stale: Session): Promise<void> {
    const keeper = this.options.sessions;
    const renew = async () => {
      let session = stale;
      const latest = keeper?.latest();
      if (latest && latest.refresh_token !== stale.refresh_token) {
        // Another process renewed it meanwhile; its refresh token replaced ours.
        this.#auth = latest;
        if (latest.expires_at - REFRESH_MARGIN_MS > this.#now()) return;
        session = latest;
      }
      const renewed = this.#session(await this.#exchangeRefreshToken(session));
      this.#auth = renewed;
      keeper?.save(renewed);
    };
    await (keeper ? keeper.exclusive(renew) : renew());
  }

  async #exchangeRefreshToken(session: Session): Promise<TokensJson> {
    try {
      return await data(
        this.#anonymous.POST('/api/v1/auth/refresh', { body: { refresh_token: session.refresh_token } }),
      );
    } catch (error) {
      if (error instanceof CliError && error.code.startsWith('AUTH_'))
        throw new CliError(
          CliErrorCode.NotLoggedIn,
          `your session at ${this.url} ended (${error.message})`,
          'log in again with `rustronaut login`',
          1,
          { cause: error },
        );
      throw error;
    }
  }

  #session(tokens: TokensJson): Session {
    return {
      kind: 'session',
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_at: this.#now() + tokens.expires_in * 1000,
    };
  }

  /** One request to the console; a failure throws, saying what it was and what to do. */
  async #send(request: Request, token?: string): Promise<Response> {
    const headers = new Headers(request.headers);
    headers.set('accept', 'application/json');
    if (token) headers.set('authorization', `Bearer ${token}`);
    const target = new URL(request.url);
    const path = `${target.pathname.replace(/^\/api\/v1/, '')}${target.search}`;
    let response: Response;
    try {
      const body = request.body ? await request.arrayBuffer() : undefined;
      response = await fetch(request.url, {
        method: request.method,
        headers,
        ...(body ? { body } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new CliError(
        CliErrorCode.ConsoleUnreachable,
        `console unreachable at ${this.url}: ${this.#reason(error)}`,
        'check the address (--console or `rustronaut login --console URL`) and that the console is running',
        1,
        { cause: error },
      );
    }
    if (response.ok) return response;
    const failure = parseError(await response.text().catch(() => ''));
    if (!failure)
      throw new CliError(
        CliErrorCode.ConsoleAnswer,
        `${this.url} answered ${request.method} ${path} with HTTP ${response.status}, not with the Rustronaut API's JSON`,
        `check that ${this.url} is the console's address`,
      );
    throw new ConsoleApiError(
      response.status,
      failure.code,
      messageOf(response.status, failure),
      HINTS[failure.code],
    );
  }

  #reason(error: unknown): string {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return `no answer within ${this.#timeoutMs / 1000} s`;
    return e.cause?.message ?? e.cause?.code ?? e.message;
  }
}

function parseError(text: string): ApiErrorBody['error'] | undefined {
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody>;
    const error = body.error;
    return error && typeof error.code === 'string' && typeof error.message === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}
