import type { Readable, Writable } from 'node:stream';
import type { CliConfig } from '@rustronaut/config';
import { ConsoleClient } from './console-client';
import { CredentialStore, type Credentials } from './credentials';
import { CliError, CliErrorCode } from './errors';
import { Output } from './output';

/** What the command runs with: its streams, its environment, and how it learns of Ctrl-C. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** From the first call on, Ctrl-C (SIGINT) and SIGTERM resolve this instead of killing the process. */
  interrupted(): Promise<void>;
}

/** One command's run: its output mode, the config, and the stored credentials. */
export class CommandContext {
  readonly output: Output;
  readonly store: CredentialStore;

  constructor(
    readonly io: CliIo,
    readonly config: CliConfig,
    json: boolean,
  ) {
    this.output = new Output(json, io.stdout, io.stderr);
    this.store = new CredentialStore(config.configDir);
  }

  /** The stored credentials, or an error saying how to log in. */
  credentials(): Credentials {
    const credentials = this.store.load();
    if (!credentials)
      throw new CliError(
        CliErrorCode.NotLoggedIn,
        'not logged in',
        'log in with `rustronaut login --console URL --email you@example.com` (or --api-key)',
      );
    return credentials;
  }

  /** A client of the console the person logged in to; refreshed sessions are stored again. */
  client(consoleUrl?: string): ConsoleClient {
    const credentials = this.credentials();
    const url = (consoleUrl ?? credentials.console_url).replace(/\/+$/, '');
    if (url !== credentials.console_url)
      throw new CliError(
        CliErrorCode.NotLoggedIn,
        `not logged in to ${url} (the stored credentials are for ${credentials.console_url})`,
        `log in there with \`rustronaut login --console ${url}\``,
      );
    return new ConsoleClient(url, {
      auth: credentials.auth,
      sessions: this.store.sessionKeeper(url),
    });
  }
}
