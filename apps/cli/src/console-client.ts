import type { Credentials, Session } from './credentials';
import { CliError, CliErrorCode, ConsoleApiError } from './errors';

/** What the console's REST API answers on failure (docs/errors.md). */
interface ApiErrorBody {
  error: { status: number; code: string; message: string };
}

interface TokensJson {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

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
};

/**
 * The console's REST API (/api/v1, snake_case JSON) as the CLI uses it. It authenticates with the
 * stored session or API key and refreshes an expiring access token by itself; failures become
 * CliErrors that say what to do next.
 */
export class ConsoleClient {
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
  }

  get<T>(path: string): Promise<T> {
    return this.#authenticated<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.#authenticated<T>('POST', path, body);
  }

  delete(path: string): Promise<void> {
    return this.#authenticated<void>('DELETE', path);
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
    const tokens = await this.post<{ access_token: string; expires_in: number }>('/auth/token', {});
    this.#exchanged = { token: tokens.access_token, expiresAt: this.#now() + tokens.expires_in * 1000 };
    return tokens.access_token;
  }

  /** Password login (with the TOTP code when the account has two factors): a new session. */
  async login(email: string, password: string, totp?: string): Promise<Session> {
    const tokens = await this.#send<TokensJson>('POST', '/auth/login', undefined, {
      email,
      password,
      ...(totp ? { totp } : {}),
    });
    return this.#session(tokens);
  }

  async #authenticated<T>(method: string, path: string, body?: unknown): Promise<T> {
    const auth = this.#auth;
    if (!auth)
      throw new CliError(
        CliErrorCode.NotLoggedIn,
        'not logged in',
        'log in with `rustronaut login --console URL --email you@example.com`',
      );
    if (auth.kind === 'api_key') return this.#send<T>(method, path, auth.api_key, body);
    if (auth.expires_at - REFRESH_MARGIN_MS <= this.#now()) await this.#refresh(auth);
    try {
      return await this.#send<T>(method, path, this.#accessToken(), body);
    } catch (error) {
      // Expired early (clock skew) or rotated keys: one refresh, one retry.
      if (!(error instanceof CliError) || error.code !== 'AUTH_UNAUTHENTICATED') throw error;
      await this.#refresh(this.#auth as Session);
      return this.#send<T>(method, path, this.#accessToken(), body);
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
      return await this.#send<TokensJson>('POST', '/auth/refresh', undefined, {
        refresh_token: session.refresh_token,
      });
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

  async #send<T>(method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.url}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
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
    const text = await response.text().catch(() => '');
    if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
    const failure = parseError(text);
    if (!failure)
      throw new CliError(
        CliErrorCode.ConsoleAnswer,
        `${this.url} answered ${method} ${path} with HTTP ${response.status}, not with the Rustronaut API's JSON`,
        `check that ${this.url} is the console's address`,
      );
    throw new ConsoleApiError(response.status, failure.code, failure.message, HINTS[failure.code]);
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
