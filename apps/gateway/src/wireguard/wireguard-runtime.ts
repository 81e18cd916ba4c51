import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UapiClient, uapiSocketPath, type DeviceChange, type DeviceStatus } from '@rustronaut/wireguard';
import type { Logger } from '@rustronaut/observability';
import { run } from './commands';

/** How the interface's peers are read and changed: the UAPI of wireguard-go, or `wg` for the kernel. */
export interface WireGuardDevice {
  readonly kind: 'kernel' | 'wireguard-go';
  get(): Promise<DeviceStatus>;
  set(change: DeviceChange): Promise<void>;
}

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
    this.#device = { kind: 'wireguard-go', ...uapiDevice(new UapiClient(uapiSocketPath(this.ifname))) };
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
        reject(new Error(error.message.includes('ENOENT') ? 'wireguard-go is not installed (apt-get install wireguard-go)' : error.message)),
      );
      child.once('exit', (code) => reject(new Error(`wireguard-go exited (${code}): ${stderr.trim() || 'no message'}`)));
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

function uapiDevice(client: UapiClient): Omit<WireGuardDevice, 'kind'> {
  return { get: () => client.get(), set: (change) => client.set(change) };
}

/** The kernel's interface through `wg` (netlink): `wg show dump` to read, `wg set` to change. */
function kernelDevice(ifname: string): WireGuardDevice {
  return {
    kind: 'kernel',
    async get() {
      const lines = (await run('wg', ['show', ifname, 'dump'])).trim().split('\n');
      const [head, ...peers] = lines.map((l) => l.split('\t'));
      return {
        privateKey: head?.[0] && head[0] !== '(none)' ? head[0] : null,
        listenPort: Number(head?.[2] ?? 0),
        fwmark: 0,
        peers: peers.map((p) => ({
          publicKey: p[0] ?? '',
          endpoint: p[2] && p[2] !== '(none)' ? p[2] : null,
          allowedIps: p[3] && p[3] !== '(none)' ? p[3].split(',') : [],
          lastHandshakeTimeSec: Number(p[4] ?? 0),
          lastHandshakeTimeNsec: 0,
          rxBytes: Number(p[5] ?? 0),
          txBytes: Number(p[6] ?? 0),
          persistentKeepaliveInterval: p[7] === 'off' ? 0 : Number(p[7] ?? 0),
        })),
      };
    },
    async set(change) {
      const args = ['set', ifname];
      if (change.privateKey) args.push('private-key', '/dev/stdin');
      if (change.listenPort !== undefined) args.push('listen-port', String(change.listenPort));
      for (const peer of change.peers ?? []) {
        args.push('peer', peer.publicKey);
        if (peer.remove) {
          args.push('remove');
          continue;
        }
        if (peer.replaceAllowedIps) args.push('allowed-ips', peer.replaceAllowedIps.join(','));
        if (peer.persistentKeepaliveInterval !== undefined)
          args.push('persistent-keepalive', String(peer.persistentKeepaliveInterval || 'off'));
        if (peer.endpoint) args.push('endpoint', peer.endpoint);
      }
      await run('wg', args, change.privateKey);
    },
  };
}
