import type { NatsConnection, Subscription } from 'nats';
import {
  gatewayControlSubject,
  gatewaySettingsSubject,
  type GatewayAssignment,
} from '@rustronaut/contracts/edge';
import type { Logger } from '@rustronaut/observability';
import type { GatewayIdentity } from './enrollment';

/** What an assignment changes for a gateway: the sites it serves, and the port its WireGuard listens on. */
export function assignmentChanges(
  identity: Pick<GatewayIdentity, 'siteIds' | 'wireguardPort'>,
  assignment: Pick<GatewayAssignment, 'siteIds'> & { wireguardPort?: number },
): { sites: boolean; wireguardPort: boolean } {
  const current = [...identity.siteIds].sort().join(',');
  const next = [...assignment.siteIds].sort().join(',');
  return {
    sites: current !== next,
    // A console that does not say (an older one) changes nothing.
    wireguardPort:
      assignment.wireguardPort !== undefined && assignment.wireguardPort !== identity.wireguardPort,
  };
}

/**
 * Keeps the gateway's list of sites (and its WireGuard port) in line with the console: told at once on
 * `rn.gateway.<id>.control` when an operator changes it, and asking `rn.gateway.<id>.settings` on
 * connect and every heartbeat interval in case it missed that (it was offline).
 */
export class AssignmentSync {
  #subscription: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    /** The gateway's identity as it is now (an assignment may have changed it since). */
    private readonly identity: () => GatewayIdentity,
    private readonly connection: () => NatsConnection | undefined,
    private readonly onChange: (assignment: GatewayAssignment) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const nc = this.connection();
    if (!nc) return;
    const { gatewayId, heartbeatIntervalS } = this.identity();
    this.#subscription = nc.subscribe(gatewayControlSubject(gatewayId), {
      callback: (error, message) => {
        if (!error) this.#consider(message.json<GatewayAssignment>());
      },
    });
    this.#timer = setInterval(() => void this.#ask(), heartbeatIntervalS * 1000);
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
      const reply = await nc.request(gatewaySettingsSubject(this.identity().gatewayId), undefined, {
        timeout: 5_000,
      });
      if (reply.data.length > 0) this.#consider(reply.json<GatewayAssignment>());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not ask the console for this gateway’s settings; will retry');
    }
  }

  #consider(assignment: GatewayAssignment): void {
    const changes = assignmentChanges(this.identity(), assignment);
    if (changes.sites || changes.wireguardPort) this.onChange(assignment);
  }
}
