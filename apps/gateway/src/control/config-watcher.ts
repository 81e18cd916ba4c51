import { connect, type KV, type NatsConnection } from 'nats';
import { SITE_CONFIG_BUCKET } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import type { SiteConfigs } from './site-configs';

/**
 * Follows the sites' keys in the RN_SITE_CONFIG bucket. NATS may be down at start: the gateway
 * serves from disk meanwhile, keeps trying, and catches up when NATS answers; watchers that end
 * (a reconnect) are started again.
 */
export class ConfigWatcher {
  #nc: NatsConnection | undefined;
  #stopped = false;
  #onConnected: (() => void) | undefined;

  /** Called once the first connection is up. */
  whenConnected(callback: () => void): void {
    this.#onConnected = callback;
  }
  #connected = false;

  constructor(
    private readonly servers: string[],
    private readonly siteIds: string[],
    private readonly configs: SiteConfigs,
    private readonly logger: Logger,
    private readonly name: string,
  ) {}

  get connected(): boolean {
    return this.#connected;
  }

  /** The NATS connection once established (for the gateway's reports). */
  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  /** Returns at once; connecting and watching go on in the background. */
  start(): void {
    void this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#nc?.close();
  }

  async #run(): Promise<void> {
    const nc = await connect({
      servers: this.servers,
      name: this.name,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    if (this.#stopped) return void (await nc.close());
    this.#nc = nc;
    this.#connected = true;
    this.logger.info({ servers: this.servers }, 'connected to NATS');
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.#connected = false;
        if (status.type === 'reconnect') this.#connected = true;
      }
    })();
    const kv = await this.#bucket(nc);
    this.#onConnected?.();
    await Promise.all(this.siteIds.map((siteId) => this.#watch(kv, siteId)));
  }

  async #bucket(nc: NatsConnection): Promise<KV> {
    for (;;) {
      try {
        return await nc.jetstream().views.kv(SITE_CONFIG_BUCKET, { bindOnly: true });
      } catch (error) {
        this.logger.warn({ err: error }, 'the site config bucket is not there yet; retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  async #watch(kv: KV, siteId: string): Promise<void> {
    while (!this.#stopped) {
      try {
        const updates = await kv.watch({ key: siteId });
        for await (const entry of updates) {
          if (entry.operation === 'DEL' || entry.operation === 'PURGE') {
            this.configs.withdraw(siteId);
            continue;
          }
          let raw: unknown;
          try {
            raw = entry.json();
          } catch {
            raw = { malformed: true };
          }
          await this.configs.offer(siteId, raw);
        }
      } catch (error) {
        if (this.#stopped) return;
        this.logger.warn({ siteId, err: error }, 'config watch ended; watching again');
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
