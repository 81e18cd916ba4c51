import type { NatsConnection, Subscription } from 'nats';
import { gatewayControlSubject, gatewaySettingsSubject, type GatewayAssignment } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import type { GatewayIdentity } from './enrollment';

/**
 * Keeps the gateway's list of sites in line with the console: told at once on
 * `rn.gateway.<id>.control` when an operator changes it, and asking `rn.gateway.<id>.settings` on
 * connect and every heartbeat interval in case it missed that (it was offline).
 */
export class AssignmentSync {
  #subscription: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly identity: GatewayIdentity,
    private readonly connection: () => NatsConnection | undefined,
    private readonly onChange: (assignment: GatewayAssignment) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const nc = this.connection();
    if (!nc) return;
    this.#subscription = nc.subscribe(gatewayControlSubject(this.identity.gatewayId), {
      callback: (error, message) => {
        if (!error) this.#consider(message.json<GatewayAssignment>());
      },
    });
    this.#timer = setInterval(() => void this.#ask(), this.identity.heartbeatIntervalS * 1000);
    void this.#ask();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#subscription?.unsubscribe();
  }

  async #ask(): Promise<void> {
    const nc = this.connection();
    if (!nc || nc.isClosed()) return;
    try {
      const reply = await nc.request(gatewaySettingsSubject(this.identity.gatewayId), undefined, {
        timeout: 5_000,
      });
      if (reply.data.length > 0) this.#consider(reply.json<GatewayAssignment>());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not ask the console for this gateway’s settings; will retry');
    }
  }

  #consider(assignment: GatewayAssignment): void {
    const current = [...this.identity.siteIds].sort().join(',');
    const next = [...assignment.siteIds].sort().join(',');
    if (current !== next) this.onChange(assignment);
  }
}
