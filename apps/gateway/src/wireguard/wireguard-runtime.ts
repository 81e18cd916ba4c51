import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  kernelDevice,
  runCommand as run,
  uapiDevice,
  uapiSocketPath,
  type WireGuardDevice,
} from '@rustronaut/wireguard';
import type { Logger } from '@rustronaut/observability';

export type { WireGuardDevice };

/**
 * The WireGuard interface itself: the kernel's when the host has the module (`ip link add … type
 * wireguard` works), else wireguard-go, supervised: when it exits, it is started again (with
 * backoff) and `onRestart` programs it from scratch.
 */
export class WireGuardRuntime {
  #child: ChildProcess | undefined;
  #stopping = false;
  #device: WireGuardDevice | undefined;
  restarts = 0;

  constructor(
    readonly ifname: string,
    private readonly logger: Logger,
    private readonly onRestart: () => void,
  ) {}

  get device(): WireGuardDevice | undefined {
    return this.#device;
  }

  /** Creates the interface; throws with a message that says what is missing when it cannot. */
  async start(): Promise<WireGuardDevice> {
    await run('ip', ['link', 'del', this.ifname]).catch(() => undefined); // a leftover of a crash
    try {
      await run('ip', ['link', 'add', this.ifname, 'type', 'wireguard']);
      this.#device = kernelDevice(this.ifname);
      return this.#device;
    } catch (kernel) {
      this.logger.debug({ err: kernel }, 'no kernel WireGuard: using wireguard-go');
    }
    await this.#spawn();
    this.#device = uapiDevice(this.ifname);
    return this.#device;
  }

  async #spawn(): Promise<void> {
    const child = spawn('wireguard-go', ['-f', this.ifname], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'error' },
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) =>
        reject(
          new Error(
            error.message.includes('ENOENT')
              ? 'wireguard-go is not installed (apt-get install wireguard-go)'
              : error.message,
          ),
        ),
      );
      child.once('exit', (code) =>
        reject(new Error(`wireguard-go exited (${code}): ${stderr.trim() || 'no message'}`)),
      );
    });
    failed.catch(() => undefined);
    const socket = uapiSocketPath(this.ifname);
    const started = (async () => {
      for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50);
      if (!existsSync(socket)) throw new Error(`wireguard-go did not open ${socket} within 5 s`);
    })();
    await Promise.race([started, failed]);
    this.#child = child;
    child.once('exit', (code, signal) => void this.#exited(code, signal));
  }

  async #exited(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.#stopping) return;
    this.logger.error({ code, signal, interface: this.ifname }, 'wireguard-go stopped: starting it again');
    for (let attempt = 1; !this.#stopping; attempt++) {
      await sleep(Math.min(5_000, 100 * 2 ** attempt));
      try {
        await this.#spawn();
        this.restarts++;
        this.onRestart();
        return;
      } catch (error) {
        this.logger.error({ err: error, attempt }, 'wireguard-go did not start again');
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#child?.kill('SIGTERM');
    await run('ip', ['link', 'del', this.ifname]).catch(() => undefined);
  }
}
