import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
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
