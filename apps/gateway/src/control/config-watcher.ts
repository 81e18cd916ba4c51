import { connect, jwtAuthenticator, type NatsConnection, type Subscription } from 'nats';
import { siteConfigRequestSubject, siteConfigSubject } from '@rustronaut/contracts/edge';
import type { Logger } from '@rustronaut/observability';
import type { SiteConfigs } from './site-configs';

export interface NatsCredentials {
  jwt: string;
  seed: string;
}

/** How often the gateway asks for its sites' snapshots even when nothing seems to have changed. */
const RESYNC_MS = 30_000;

/**
 * Follows the gateway's sites' config on NATS: subscribes to `rn.config.site.<id>` (new snapshots)
 * and asks `rn.config.get.<id>` for the current one on connect, after every reconnect, and every
 * 30 s. NATS may be down at start: the gateway serves from disk meanwhile and catches up when it
 * answers. With enrolment credentials, the gateway can read nothing but its own sites' subjects.
 */
export class ConfigWatcher {
  #nc: NatsConnection | undefined;
  #stopped = false;
  #connected = false;
  #onConnected: (() => void) | undefined;
  #subscriptions: Subscription[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      servers: string[];
      siteIds: string[];
      configs: SiteConfigs;
      logger: Logger;
      name: string;
      inboxPrefix: string;
      credentials?: NatsCredentials;
    },
  ) {}

  get connected(): boolean {
    return this.#connected;
  }

  /** The NATS connection once established (for the gateway's reports). */
  get connection(): NatsConnection | undefined {
    return this.#nc;
  }

  /** Called once the first connection is up. */
  whenConnected(callback: () => void): void {
    this.#onConnected = callback;
  }

  /** Returns at once; connecting and following go on in the background. */
  start(): void {
    void this.#run().catch((error: unknown) =>
      this.options.logger.error({ err: error }, 'NATS connection failed'),
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#nc?.close();
  }

  async #run(): Promise<void> {
    const { servers, credentials, logger } = this.options;
    const nc = await connect({
      servers,
      name: this.options.name,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      inboxPrefix: this.options.inboxPrefix,
      ...(credentials
        ? { authenticator: jwtAuthenticator(credentials.jwt, new TextEncoder().encode(credentials.seed)) }
        : {}),
    });
    if (this.#stopped) return void (await nc.close());
    this.#nc = nc;
    this.#connected = true;
    logger.info({ servers }, 'connected to NATS');
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.#connected = false;
        if (status.type === 'reconnect') {
          this.#connected = true;
          void this.#resync();
        }
        if (status.type === 'error') logger.warn({ error: String(status.data) }, 'NATS reported an error');
      }
    })();
    for (const siteId of this.options.siteIds) {
      this.#subscriptions.push(
        nc.subscribe(siteConfigSubject(siteId), {
          callback: (error, message) => {
            if (error) return logger.error({ siteId, err: error }, 'cannot follow the site config');
            if (message.headers?.get('Rn-Withdrawn') === 'true') return this.options.configs.withdraw(siteId);
            void this.#offer(siteId, message.data);
          },
        }),
      );
    }
    await nc.flush();
    this.#onConnected?.();
    await this.#resync();
    this.#timer = setInterval(() => void this.#resync(), RESYNC_MS);
  }

  async #resync(): Promise<void> {
    const nc = this.#nc;
    if (!nc || nc.isClosed()) return;
    for (const siteId of this.options.siteIds) {
      try {
        const reply = await nc.request(siteConfigRequestSubject(siteId), undefined, { timeout: 5_000 });
        if (reply.data.length > 0) await this.#offer(siteId, reply.data);
      } catch (error) {
        this.options.logger.warn(
          { siteId, err: error },
          'could not fetch the current site config; will retry',
        );
      }
    }
  }

  async #offer(siteId: string, data: Uint8Array): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(data));
    } catch {
      raw = { malformed: true };
    }
    await this.options.configs.offer(siteId, raw);
  }
}
