import { createPrivateKey, sign } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { gatewayReportSubject, type GatewayReport } from '@rustronaut/contracts/edge';
import type { GatewayIdentity } from './enrollment';
import type { SiteConfigs } from './site-configs';

/**
 * Tells the console what this gateway runs: a heartbeat every interval, and a report each time it
 * applies a snapshot, signed with the gateway's private key (the console holds the public one).
 */
export class Reports {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly identity: GatewayIdentity,
    private readonly configs: SiteConfigs,
    private readonly connection: () => NatsConnection | undefined,
    /** The WireGuard interface's key and peers' counters, when the gateway runs one. */
    private readonly wireguard: () => Promise<GatewayReport['wireguard']> = () => Promise.resolve(undefined),
    /** What the data path serves now: targets' health, tunnels, certificates. */
    private readonly runtime: () => Promise<GatewayReport['runtime']> = () => Promise.resolve(undefined),
  ) {}

  #soon: NodeJS.Timeout | undefined;

  /** What the gateway serves changed (a target's health, a tunnel): reported within a moment, not at the next heartbeat. */
  changed(): void {
    this.#soon ??= setTimeout(() => {
      this.#soon = undefined;
      this.send('heartbeat');
    }, 200);
  }

  start(): void {
    this.configs.onApplied(() => this.send('applied'));
    this.#timer = setInterval(() => this.send('heartbeat'), this.identity.heartbeatIntervalS * 1000);
    this.send('heartbeat');
  }

  stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
  }

  send(kind: GatewayReport['kind']): void {
    void this.#send(kind);
  }

  async #send(kind: GatewayReport['kind']): Promise<void> {
    const [wireguard, runtime] = await Promise.all([
      this.wireguard().catch(() => undefined),
      this.runtime().catch(() => undefined),
    ]);
    const nc = this.connection();
    if (!nc || nc.isClosed()) return;
    const sites = Object.fromEntries(
      [...this.configs.all()].map(([siteId, a]) => [siteId, a.snapshot.revision]),
    );
    const report: GatewayReport = {
      gatewayId: this.identity.gatewayId,
      kind,
      at: new Date().toISOString(),
      sites,
      ...(wireguard ? { wireguard } : {}),
      ...(runtime ? { runtime } : {}),
    };
    const signature = sign(
      null,
      Buffer.from(JSON.stringify(report)),
      createPrivateKey(this.identity.privateKey),
    ).toString('base64');
    nc.publish(gatewayReportSubject(this.identity.gatewayId), JSON.stringify({ report, signature }));
  }
}
