import { ConsoleClient } from '../console-client';
import type { CommandContext } from '../context';
import type { Credentials } from '../credentials';
import { CliError, usage } from '../errors';
import { edgeOf, pinnedLines } from '../gateway-trust';
import { ask } from '../prompt';
import { browserSignIn, pickProvider } from '../sso-login';
import { whoAmI } from './status';

export interface LoginOptions {
  console?: string;
  email?: string;
  apiKey?: string;
  /** Sign in through the organisation's identity provider, in a browser. */
  sso?: boolean;
  /** Which provider (id or name) when the organisation has several. */
  provider?: string;
  /** The organisation's slug (its providers); the default organisation otherwise. */
  org?: string;
  /** No loopback redirect: the sign-in page shows a code to paste (a browser on another machine). */
  manual?: boolean;
  /** `--no-browser`: print the address only. */
  browser?: boolean;
}

/** The console's address: the flag, else RN_CONSOLE_URL, else the one logged in to before. */
export function consoleUrl(ctx: CommandContext, flag: string | undefined): string {
  const url = flag ?? ctx.config.consoleUrl ?? safeStored(ctx)?.console_url;
  if (!url)
    throw usage('which console?', 'give --console https://console.example.com (or set RN_CONSOLE_URL)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usage(`"${url}" is not a URL`, 'give --console https://console.example.com');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw usage(`"${url}" is not an http(s) URL`, 'give --console https://console.example.com');
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
}

function safeStored(ctx: CommandContext): Credentials | undefined {
  try {
    return ctx.store.load();
  } catch {
    return undefined; // an unreadable file is replaced by this login
  }
}

/**
 * `rustronaut login`: with an email (password asked, or RN_PASSWORD; the TOTP code when the
 * account has two factors, or RN_TOTP), an API key, or `--sso` (the organisation's identity
 * provider in a browser); checks the credentials against the console and stores them (0600).
 */
export async function login(ctx: CommandContext, options: LoginOptions): Promise<void> {
  if ([options.email, options.apiKey, options.sso].filter(Boolean).length > 1)
    throw usage('give one of --email, --api-key or --sso');
  const url = consoleUrl(ctx, options.console);
  let auth: Credentials['auth'];
  if (options.sso) {
    const anonymous = new ConsoleClient(url);
    const { providers } = await anonymous.signInProviders(options.org);
    const { code, verifier } = await browserSignIn(ctx.io, {
      consoleUrl: url,
      provider: pickProvider(providers, options.provider),
      manual: options.manual ?? false,
      openBrowser: options.browser ?? true,
    });
    auth = await anonymous.redeemSignIn(code, verifier);
  } else if (options.apiKey) {
    if (!options.apiKey.startsWith('rnk_'))
      throw usage(
        'that is not an API key (they start with "rnk_")',
        'create one in the console: POST /api/v1/api-keys',
      );
    auth = { kind: 'api_key', api_key: options.apiKey };
  } else {
    const email = options.email ?? (await ask(ctx.io, 'Email: ', { instead: '--email' }));
    if (!email) throw usage('no email given', 'give --email you@example.com');
    const password =
      ctx.config.password ?? (await ask(ctx.io, 'Password: ', { hidden: true, instead: 'RN_PASSWORD' }));
    const anonymous = new ConsoleClient(url);
    try {
      auth = await anonymous.login(email, password, ctx.config.totp);
    } catch (error) {
      if (!(error instanceof CliError) || error.code !== 'AUTH_TOTP_REQUIRED') throw error;
      const code = await ask(ctx.io, 'Two-factor code: ', { instead: 'RN_TOTP' });
      auth = await anonymous.login(email, password, code);
    }
  }
  const client = new ConsoleClient(url, { auth });
  const me = await whoAmI(client);
  // Where the gateways are, and the development CA they serve: pinned with the credentials.
  const edge = await edgeOf(client);
  const credentials: Credentials = { console_url: url, email: me.user.email, auth, edge };
  ctx.store.save(credentials);
  ctx.output.result(
    [
      `✓ Logged in to ${url} as ${me.user.email} (${me.principal.role})`,
      ...pinnedLines(edge),
      `  credentials saved in ${ctx.store.file}`,
    ],
    {
      console_url: url,
      email: me.user.email,
      role: me.principal.role,
      org_id: me.principal.org_id,
      auth: auth.kind,
      gateway_ca_sha256: edge.development_ca?.sha256 ?? null,
      credentials_file: ctx.store.file,
    },
  );
}

/** `rustronaut logout`: ends the session at the console (when it answers) and forgets the credentials. */
export async function logout(ctx: CommandContext): Promise<void> {
  const had = safeStored(ctx);
  let ended = false;
  if (had?.auth.kind === 'session') {
    const client = new ConsoleClient(had.console_url, { auth: had.auth });
    ended = await client.api.POST('/api/v1/auth/logout').then(
      () => true,
      () => false, // unreachable or already ended: the local credentials go anyway
    );
  }
  ctx.store.clear();
  ctx.output.result(had ? `✓ Logged out of ${had.console_url}` : 'not logged in', {
    logged_out: Boolean(had),
    session_ended: ended,
  });
}
