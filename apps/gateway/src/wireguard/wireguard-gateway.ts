import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { GatewayReport } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import {
  diffPeers,
  gatewayAddress,
  generateKeyPair,
  isWireGuardKey,
  publicKeyOf,
  runCommand as run,
} from '@rustronaut/wireguard';
import type { SiteConfigs } from '../control/site-configs';
import { compileDeviceAccess, type DeviceAccess } from './device-access';
import { deleteRuleset, renderRuleset } from './nft-ruleset';
import { WireGuardRuntime, type WireGuardDevice } from './wireguard-runtime';

export interface WireGuardOptions {
  ifname: string;
  listenPort: number;
  dataDir: string;
  /** How often time-window policies are evaluated again (ms). */
  reevaluateMs?: number;
}

export type WireGuardState =
  | { state: 'starting' }
  /** No device in the served sites yet: no interface. */
  | { state: 'idle' }
  | { state: 'running'; kind: 'kernel' | 'wireguard-go' }
  | { state: 'unavailable'; reason: string };

/**
 * The gateway's WireGuard side: one interface carrying the devices of every site it serves. From
 * each applied snapshot (the disk copy too, so it works with the console away) it programs the
 * peers as a diff and replaces the packet-filter table atomically; time windows are evaluated
 * again on a timer. When WireGuard cannot run here it says so once and the rest of the gateway
 * carries on.
 */
export class WireGuardGateway {
  #state: WireGuardState = { state: 'starting' };
  #device: WireGuardDevice | undefined;
  #publicKey: string | undefined;
  #privateKey: string | undefined;
  #runtime: WireGuardRuntime;
  #addresses = new Set<string>();
  #routes = new Set<string>();
  #lastRuleset = '';
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #access: DeviceAccess | undefined;
  #applies = 0;
  /** The listen port changed since the interface was last programmed. */
  #portChanged = false;
  readonly #metrics: {
    apply: Histogram;
    peers: Gauge;
    handshakeAge: Gauge;
    rx: Gauge;
    tx: Gauge;
  };

  constructor(
    private readonly options: WireGuardOptions,
    private readonly configs: SiteConfigs,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.#runtime = new WireGuardRuntime(options.ifname, logger, () => {
      this.#addresses.clear();
      this.#routes.clear();
      this.#lastRuleset = '';
      this.schedule('wireguard-go restarted', true);
    });
    const peersGauge = new Gauge({
      name: 'rustronaut_gateway_wireguard_peers',
      help: 'WireGuard peers (devices) on the interface',
      registers: [registry],
    });
    this.#metrics = {
      apply: new Histogram({
        name: 'rustronaut_gateway_wireguard_apply_seconds',
        help: 'Time to program the peers and the packet filter from a snapshot',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers: [registry],
      }),
      peers: peersGauge,
      handshakeAge: new Gauge({
        name: 'rustronaut_gateway_wireguard_handshake_age_seconds',
        help: 'Seconds since the peer last completed a handshake (absent: never)',
        labelNames: ['device'],
        registers: [registry],
      }),
      rx: new Gauge({
        name: 'rustronaut_gateway_wireguard_rx_bytes',
        help: 'Bytes received from the peer',
        labelNames: ['device'],
        registers: [registry],
      }),
      tx: new Gauge({
        name: 'rustronaut_gateway_wireguard_tx_bytes',
        help: 'Bytes sent to the peer',
        labelNames: ['device'],
        registers: [registry],
      }),
    };
  }

  get state(): WireGuardState {
    return this.#state;
  }

  /**
   * Follows the served snapshots; the interface is created with the first device (a gateway whose
   * sites have none leaves the host's network alone). Never throws: when WireGuard cannot run,
   * the state (in /status) says why, and the log says so once.
   */
  async start(): Promise<void> {
    const { privateKey, publicKey } = await this.#key();
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.configs.onChanged(() => this.schedule('snapshot'));
    this.#timer = setInterval(() => this.schedule('time windows'), this.options.reevaluateMs ?? 15_000);
    this.#timer.unref();
    this.schedule('start');
    await this.#queue;
  }

  async #startInterface(): Promise<WireGuardDevice | undefined> {
    try {
      const device = await this.#runtime.start();
      this.#device = device;
      this.#state = { state: 'running', kind: device.kind };
      this.logger.info(
        {
          interface: this.options.ifname,
          kind: device.kind,
          listenPort: this.options.listenPort,
          publicKey: this.#publicKey,
        },
        'WireGuard interface up',
      );
      return device;
    } catch (error) {
      const reason = (error as Error).message;
      this.#state = { state: 'unavailable', reason };
      this.logger.error(
        { interface: this.options.ifname, reason },
        'WireGuard cannot run on this host: VPN devices are not served (everything else is)',
      );
      await this.#runtime.stop().catch(() => undefined);
      return undefined;
    }
  }

  /** Listens on another port from the next pass on (the console changed the gateway's `wireguard_port`). */
  setListenPort(port: number): void {
    if (port === this.options.listenPort) return;
    this.options.listenPort = port;
    this.#portChanged = true;
    this.schedule('listen port');
  }

  /** Queues one programming pass (passes never overlap; a burst of snapshots is applied in order). */
  schedule(why: string, full = false): void {
    if (this.#state.state === 'unavailable') return;
    this.#queue = this.#queue
      .then(() => this.#program(full))
      .catch((error: unknown) =>
        this.logger.error({ err: error, why }, 'could not program the WireGuard interface'),
      );
  }

  /** Resolves when the queued passes are done (tests, benchmarks). */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #program(full: boolean): Promise<void> {
    const started = process.hrtime.bigint();
    const snapshots = [...this.configs.all().values()].map((a) => a.snapshot);
    const access = compileDeviceAccess(snapshots, new Date());
    let device = this.#device;
    if (!device) {
      if (access.peers.length === 0) return void (this.#state = { state: 'idle' });
      device = await this.#startInterface();
      if (!device) return;
      full = true;
    }
    if (this.#portChanged && !full) await device.set({ listenPort: this.options.listenPort });
    this.#portChanged = false;
    if (full) {
      await device.set({ privateKey: this.#privateKey, listenPort: this.options.listenPort });
      await run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      await run('ip', ['link', 'set', this.options.ifname, 'up']);
    }
    // The gateway's address in each site (the first host of its subnet) as a /32 and a route per
    // device: the site's own network may share the subnet's range (targets at 10.1.0.100 in a
    // 10.1.0.0/24 site), and only the devices' own addresses go to the interface.
    const batch: string[] = [];
    for (const subnet of access.subnets) {
      const address = gatewayAddress(subnet);
      if (address && !this.#addresses.has(address)) {
        batch.push(`address replace ${address}/32 dev ${this.options.ifname}`);
        this.#addresses.add(address);
      }
    }
    const routes = new Set(access.peers.flatMap((p) => p.allowedIps));
    for (const route of routes)
      if (!this.#routes.has(route)) batch.push(`route replace ${route} dev ${this.options.ifname}`);
    if (batch.length) await run('ip', ['-batch', '-'], `${batch.join('\n')}\n`);
    // The packet filter before the peers: a new device is filtered from its first packet.
    const ruleset = renderRuleset(this.options.ifname, access.subnets, access.grants);
    if (ruleset !== this.#lastRuleset) {
      await run('nft', ['-f', '-'], ruleset);
      this.#lastRuleset = ruleset;
    }
    const diff = diffPeers((await device.get()).peers, access.peers);
    if (diff.changes.length) await device.set({ peers: diff.changes });
    const gone = [...this.#routes].filter((r) => !routes.has(r));
    if (gone.length)
      await run(
        'ip',
        ['-force', '-batch', '-'],
        `${gone.map((r) => `route del ${r} dev ${this.options.ifname}`).join('\n')}\n`,
      );
    this.#routes = routes;
    this.#access = access;
    this.#applies++;
    this.#metrics.peers.set(access.peers.length);
    if (diff.changes.length || full) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.#metrics.apply.observe(seconds);
      this.logger.info(
        {
          added: diff.added,
          updated: diff.updated,
          removed: diff.removed,
          unchanged: diff.unchanged,
          grants: access.grants.length,
          ms: Math.round(seconds * 1000),
        },
        'WireGuard peers and packet filter applied',
      );
    }
  }

  /** The interface's peers' counters, for the heartbeat and /metrics. */
  async report(): Promise<GatewayReport['wireguard']> {
    if (this.#state.state === 'unavailable' || !this.#publicKey) return undefined;
    // Idle (no device yet) still tells its key: the first device's config needs it.
    const status = this.#device ? await this.#device.get() : { peers: [] };
    const now = Date.now() / 1000;
    this.#metrics.handshakeAge.reset();
    const peers = status.peers.map((p) => {
      const device = p.publicKey;
      if (p.lastHandshakeTimeSec > 0)
        this.#metrics.handshakeAge.set({ device }, Math.max(0, now - p.lastHandshakeTimeSec));
      this.#metrics.rx.set({ device }, p.rxBytes);
      this.#metrics.tx.set({ device }, p.txBytes);
      return {
        publicKey: p.publicKey,
        lastHandshakeAt:
          p.lastHandshakeTimeSec > 0 ? new Date(p.lastHandshakeTimeSec * 1000).toISOString() : null,
        rxBytes: p.rxBytes,
        txBytes: p.txBytes,
      };
    });
    return { publicKey: this.#publicKey, listenPort: this.options.listenPort, peers };
  }

  status(): Record<string, unknown> {
    return {
      interface: this.options.ifname,
      listen_port: this.options.listenPort,
      public_key: this.#publicKey ?? null,
      ...(this.#state.state === 'running'
        ? { state: 'running', kind: this.#state.kind, restarts: this.#runtime.restarts }
        : this.#state),
      peers: this.#access?.peers.length ?? 0,
      grants: this.#access?.grants.length ?? 0,
      skipped_targets: this.#access?.skipped ?? [],
      applies: this.#applies,
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#state.state !== 'running') return;
    await this.#queue;
    await run('nft', ['-f', '-'], deleteRuleset(this.options.ifname)).catch(() => undefined);
    await this.#runtime.stop();
  }

  /** The gateway's own key, made once and kept beside its other keys (0600). */
  async #key(): Promise<{ privateKey: string; publicKey: string }> {
    const path = join(this.options.dataDir, 'wireguard.key');
    try {
      const privateKey = (await readFile(path, 'utf8')).trim();
      if (isWireGuardKey(privateKey)) return { privateKey, publicKey: publicKeyOf(privateKey) };
    } catch {
      // not made yet
    }
    const pair = generateKeyPair();
    await writeFile(path, `${pair.privateKey}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    return pair;
  }
}
