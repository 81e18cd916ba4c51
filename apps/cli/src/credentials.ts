import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { SessionKeeper } from './console-client';
import { CliError, CliErrorCode } from './errors';

const SessionSchema = z.strictObject({
  kind: z.literal('session'),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  /** When the access token stops working (ms since the epoch). */
  expires_at: z.number().int(),
});
const ApiKeySchema = z.strictObject({ kind: z.literal('api_key'), api_key: z.string().min(1) });

export const CredentialsSchema = z.strictObject({
  console_url: z.url(),
  /** Who logged in, for `rustronaut status` when the console cannot be asked. */
  email: z.string().optional(),
  auth: z.discriminatedUnion('kind', [SessionSchema, ApiKeySchema]),
  /** The console's gateways when logging in: their tunnel endpoint and the development CA pinned then. */
  edge: z
    .strictObject({
      tunnel_endpoint: z.string().min(1),
      development_ca: z.strictObject({ pem: z.string().min(1), sha256: z.string().min(1) }).nullable(),
    })
    .optional(),
});
export type Credentials = z.infer<typeof CredentialsSchema>;
export type Session = z.infer<typeof SessionSchema>;

/**
 * The credentials file (`<config dir>/credentials.json`): readable by its owner only (0600, in a
 * 0700 directory), replaced atomically so a crash never leaves half a file.
 */
export class CredentialStore {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'credentials.json');
  }

  /** The stored credentials, or undefined when nobody logged in. */
  load(): Credentials | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#unreadable((error as Error).message, error);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw this.#unreadable('it is not JSON', error);
    }
    const parsed = CredentialsSchema.safeParse(json);
    if (!parsed.success)
      throw this.#unreadable(
        `${parsed.error.issues[0]?.path.join('.') || '(root)'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    return parsed.data;
  }

  save(credentials: Credentials): void {
    const valid = CredentialsSchema.parse(credentials);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // The directory may have existed with wider permissions (created by hand): it is ours, narrow it.
    if ((statSync(this.dir).mode & 0o077) !== 0) chmodSync(this.dir, 0o700);
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.file);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }

  /** The session of `consoleUrl` as the processes of this user share it (see SessionKeeper). */
  sessionKeeper(consoleUrl: string): SessionKeeper {
    const stored = () => {
      const credentials = this.load();
      return credentials?.console_url === consoleUrl ? credentials : undefined;
    };
    return {
      exclusive: (renew) => this.#exclusive(renew),
      latest: () => {
        const auth = stored()?.auth;
        return auth?.kind === 'session' ? auth : undefined;
      },
      save: (session) => {
        const credentials = stored();
        if (credentials) this.save({ ...credentials, auth: session });
      },
    };
  }

  /**
   * Runs `fn` holding a lock directory beside the file (mkdir is atomic). A lock older than 15 s is
   * a crashed holder's and is taken over; after 10 s of waiting `fn` runs anyway.
   */
  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const lock = join(this.dir, 'refresh.lock');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const deadline = Date.now() + 10_000;
    let held = false;
    while (!held && Date.now() < deadline) {
      try {
        mkdirSync(lock, { mode: 0o700 });
        held = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > 15_000) rmSync(lock, { recursive: true, force: true });
        else await sleep(25);
      }
    }
    try {
      return await fn();
    } finally {
      if (held) rmdirSync(lock);
    }
  }

  #unreadable(reason: string, cause?: unknown): CliError {
    return new CliError(
      CliErrorCode.Credentials,
      `cannot read the credentials in ${this.file}: ${reason}`,
      'log in again with `rustronaut login` (it rewrites the file)',
      1,
      { cause },
    );
  }
}
