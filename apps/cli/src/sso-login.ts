import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import type { CliIo } from './context';
import { CliError, CliErrorCode, usage } from './errors';

/** How long the CLI waits for the browser (a person signing in at their provider). */
const WAIT_MS = 5 * 60_000;

export interface SignInProvider {
  id: string;
  name: string;
  start_url: string;
}

/** The provider to use: the one named (id or name, any case), or the only one there is. */
export function pickProvider(
  providers: readonly SignInProvider[],
  wanted: string | undefined,
): SignInProvider {
  if (providers.length === 0)
    throw new CliError(
      CliErrorCode.Usage,
      'this organisation has no identity provider',
      'log in with --email, or ask an admin to add one (POST /api/v1/identity-providers)',
    );
  if (wanted === undefined) {
    const [only] = providers;
    if (providers.length === 1 && only) return only;
    throw usage(
      `this organisation has ${providers.length} identity providers`,
      `give --provider with one of: ${providers.map((p) => `"${p.name}"`).join(', ')}`,
    );
  }
  const found = providers.find((p) => p.id === wanted || p.name.toLowerCase() === wanted.toLowerCase());
  if (!found)
    throw usage(
      `no identity provider "${wanted}"`,
      `give one of: ${providers.map((p) => `"${p.name}"`).join(', ')}`,
    );
  return found;
}

/** A PKCE pair (RFC 7636, S256): the console hands the code only to whoever has the verifier. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * Signs in through the browser: a loopback redirect (RFC 8252) on 127.0.0.1, or — with `manual`, or
 * where no browser can come back to this machine — a code the sign-in page shows, pasted here.
 * Answers the one-time code and the verifier to redeem it with.
 */
export async function browserSignIn(
  io: CliIo,
  options: { consoleUrl: string; provider: SignInProvider; manual: boolean; openBrowser: boolean },
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const start = new URL(`${options.consoleUrl}${options.provider.start_url}`);
  start.searchParams.set('cli_challenge', challenge);
  if (options.manual) {
    start.searchParams.set('cli_redirect', 'manual');
    announce(io, start.href, options.openBrowser);
    io.stderr.write('Then paste the code the page shows: ');
    const code = await Promise.race([readLine(io), cancelled(io)]);
    if (!code) throw usage('no code given', 'paste the code the sign-in page shows');
    return { code, verifier };
  }
  const loopback = await listenOnLoopback();
  try {
    start.searchParams.set('cli_redirect', `http://127.0.0.1:${loopback.port}/callback`);
    announce(io, start.href, options.openBrowser);
    const code = await Promise.race([loopback.code, cancelled(io), timeout()]);
    return { code, verifier };
  } finally {
    loopback.server.close();
  }
}

function announce(io: CliIo, url: string, openBrowser: boolean): void {
  io.stderr.write(`Sign in with your browser at:\n  ${url}\n`);
  if (openBrowser) openInBrowser(url);
}

/** xdg-open / open / start; a failure only means the person opens the printed address. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no opener: the address is printed
  }
}

async function listenOnLoopback(): Promise<{ server: Server; port: number; code: Promise<string> }> {
  let deliver!: (code: string) => void;
  const code = new Promise<string>((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const got = url.searchParams.get('code');
    if (req.method !== 'GET' || url.pathname !== '/callback' || !got) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not here');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(
        '<!doctype html><title>Signed in</title><h1>Signed in</h1><p>You can close this tab and go back to the terminal.</p>',
      );
    deliver(got);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, port: (server.address() as AddressInfo).port, code };
}

function readLine(io: CliIo): Promise<string> {
  const rl = createInterface({ input: io.stdin });
  return new Promise((resolve) => {
    rl.once('line', (line) => {
      resolve(line.trim()); // before close, whose handler answers '' (no line at all)
      rl.close();
    });
    rl.once('close', () => resolve(''));
  });
}

const cancelled = (io: CliIo) =>
  io.interrupted().then(() => {
    throw new CliError(CliErrorCode.Usage, 'cancelled');
  });

const timeout = () =>
  new Promise<never>((_, reject) =>
    setTimeout(
      () =>
        reject(
          new CliError(
            CliErrorCode.Usage,
            'no sign-in from the browser within 5 minutes',
            'run rustronaut login --sso again',
          ),
        ),
      WAIT_MS,
    ).unref(),
  );
