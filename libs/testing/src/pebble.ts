import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './certificates';
import { freePort } from './free-port';

/**
 * Pebble, the ACME test CA (Debian package `pebble`), of the test's own: on free loopback ports,
 * serving its directory with a fresh self-signed certificate (`directoryCertPath`, to trust), and
 * really validating HTTP-01 challenges on `httpPort` of the names it resolves through `dnsServer`.
 */
export class TestPebble {
  #log = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    readonly managementPort: number,
    /** The PEM certificate the directory is served with. */
    readonly directoryCert: string,
    readonly directoryCertPath: string,
  ) {
    child.stdout?.on('data', (c: Buffer) => (this.#log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.#log += c.toString()));
  }

  static async start(options: {
    /** Where HTTP-01 validations connect (the gateway's HTTP port). */
    httpPort: number;
    /** host:port of the DNS server that resolves the names to validate. */
    dnsServer: string;
    /** Lifetime of the certificates it issues. */
    certificateValiditySeconds?: number;
  }): Promise<TestPebble> {
    const dir = await mkdtemp(join(tmpdir(), 'rn-pebble-'));
    const { cert, key } = await selfSignedCertificate(['localhost'], ['127.0.0.1']);
    const certPath = join(dir, 'cert.pem');
    await writeFile(certPath, cert);
    await writeFile(join(dir, 'key.pem'), key);
    const port = await freePort();
    const managementPort = await freePort();
    await writeFile(
      join(dir, 'pebble-config.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${port}`,
          managementListenAddress: `127.0.0.1:${managementPort}`,
          certificate: certPath,
          privateKey: join(dir, 'key.pem'),
          httpPort: options.httpPort,
          tlsPort: await freePort(),
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          ...(options.certificateValiditySeconds
            ? { certificateValidityPeriod: options.certificateValiditySeconds }
            : {}),
        },
      }),
    );
    const child = spawn(
      process.env['RN_TEST_PEBBLE'] ?? 'pebble',
      ['-config', join(dir, 'pebble-config.json'), '-dnsserver', options.dnsServer],
      // No artificial sleep before validating; validation itself stays real (never PEBBLE_VA_ALWAYS_VALID).
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PEBBLE_VA_NOSLEEP: '1' } },
    );
    const pebble = new TestPebble(child, dir, port, managementPort, cert, certPath);
    const deadline = Date.now() + 15_000;
    while (!(await pebble.#get('/dir').catch(() => undefined))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await pebble.stop();
        throw new Error(`pebble did not start:\n${pebble.log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return pebble;
  }

  get directoryUrl(): string {
    return `https://127.0.0.1:${this.port}/dir`;
  }

  get log(): string {
    return this.#log;
  }

  /** The root that signs what it issues (made anew at every start of pebble). */
  root(): Promise<string> {
    return this.#get('/roots/0', this.managementPort);
  }

  #get(path: string, port = this.port): Promise<string> {
    return new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path, ca: this.directoryCert }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      }).on('error', reject);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
