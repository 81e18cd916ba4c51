import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/**
 * A nats-server of the test's own, with JetStream, on a free loopback port and a fresh store
 * directory: for tests that stop or restart NATS, or need settings of their own, while the
 * machine's NATS is left alone. It can be killed and started again on the same port and store.
 */
export class TestNatsServer {
  #process: ChildProcess | undefined;
  #log = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly extraArgs: string[],
  ) {}

  static async start(options: { extraArgs?: string[] } = {}): Promise<TestNatsServer> {
    const server = new TestNatsServer(
      await freePort(),
      await mkdtemp(join(tmpdir(), 'rn-nats-')),
      options.extraArgs ?? [],
    );
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.#log;
  }

  /** Starts the server (again) on the same port and store; resolves once it accepts clients. */
  async restart(): Promise<void> {
    if (this.#process) throw new Error('nats-server is already running');
    const binary = process.env['RN_TEST_NATS_SERVER'] ?? 'nats-server';
    const child = spawn(
      binary,
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.extraArgs],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.#process = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`nats-server did not start within 15 s:\n${this.#log}`)),
        15_000,
      );
      const onData = (chunk: Buffer) => {
        this.#log += chunk.toString();
        if (this.#log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`could not run ${binary} (install the nats-server package): ${error.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        this.#process = undefined;
        reject(new Error(`nats-server exited with ${code}:\n${this.#log}`));
      });
    });
    this.#log = '';
    child.removeAllListeners('exit');
    child.once('exit', () => {
      if (this.#process === child) this.#process = undefined;
    });
  }

  /** Stops the server: SIGKILL for a crash, SIGTERM for a clean shutdown. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#process;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.#process = undefined;
  }

  /** Stops the server and removes its store. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.storeDir, { recursive: true, force: true });
  }
}
