import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProviderAccount {
  email: string;
  email_verified: boolean;
  name: string;
  groups: string[];
}

/**
 * A real OpenID Connect provider (npm `oidc-provider`) in its own process on loopback, configured
 * by the test: its clients, and its people (changed while it runs with `setAccounts`).
 */
export class TestOidcProvider {
  readonly #dir: string;
  log = '';

  private constructor(
    readonly issuer: string,
    private readonly child: ChildProcess,
    dir: string,
  ) {
    this.#dir = dir;
  }

  static async start(options: {
    port: number;
    clients: { client_id: string; client_secret: string; redirect_uris: string[] }[];
    accounts: Record<string, ProviderAccount>;
  }): Promise<TestOidcProvider> {
    const dir = mkdtempSync(join(tmpdir(), 'rn-oidc-'));
    const accountsFile = join(dir, 'accounts.json');
    writeFileSync(accountsFile, JSON.stringify(options.accounts));
    const settingsFile = join(dir, 'settings.json');
    writeFileSync(
      settingsFile,
      JSON.stringify({ port: options.port, clients: options.clients, accountsFile }),
    );
    const child = spawn(process.execPath, [join(__dirname, 'oidc-provider-process.mjs'), settingsFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sut = new TestOidcProvider(`http://127.0.0.1:${options.port}`, child, dir);
    child.stderr?.on('data', (c: Buffer) => (sut.log += c.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready ')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the OIDC provider exited (${code}):\n${sut.log}`)));
      setTimeout(() => reject(new Error(`the OIDC provider did not start:\n${sut.log}`)), 20_000).unref();
    });
    return sut;
  }

  setAccounts(accounts: Record<string, ProviderAccount>): void {
    writeFileSync(join(this.#dir, 'accounts.json'), JSON.stringify(accounts));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.kill('SIGTERM');
        setTimeout(() => this.child.kill('SIGKILL'), 3_000).unref();
      });
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
