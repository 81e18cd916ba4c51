import type { NatsConnection } from 'nats';
import { gatewayControlSubject, type GatewayAssignment } from '@rustronaut/contracts';
import type { NatsAuthority } from '@rustronaut/nats-authority';
import type { Logger } from '@rustronaut/observability';
import type { GatewayQueries } from './gateway.queries';

/**
 * Which sites a gateway serves can change (PUT /gateways/{id}/config). The gateway asks
 * `rn.gateway.<id>.settings` when it connects and with every heartbeat, and is told on
 * `rn.gateway.<id>.control` at once when an operator changes it; either way it gets a NATS JWT whose
 * permissions match the new sites. A JWT is useless without the gateway's own nkey seed.
 */
export class GatewayAssignments {
  /**
   * The NATS JWT last signed for each gateway, with what it was signed for. Signing one takes
   * 15-25 ms of the service's event loop (nkeys' Ed25519 is JavaScript), and every gateway asks at
   * every heartbeat: the same organisation, sites and NATS key get the same JWT back. A JWT has no
   * expiry, and NATS revokes a user only when its gateway is deleted, which `current` answers with
   * nothing; a change of sites or key signs a new one.
   */
  readonly #signed = new Map<string, { grants: string; jwt: string }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly queries: GatewayQueries,
    private readonly authority: NatsAuthority,
    private readonly logger: Logger,
  ) {}

  async current(gatewayId: string): Promise<GatewayAssignment | undefined> {
    const gateway = await this.queries.publicKeyOf(gatewayId);
    if (!gateway || gateway.deleted || !gateway.natsPublicKey) {
      this.#signed.delete(gatewayId);
      return undefined;
    }
    return {
      siteIds: gateway.siteIds,
      natsJwt: await this.#jwt(gatewayId, gateway.orgId, gateway.siteIds, gateway.natsPublicKey),
      wireguardPort: gateway.wireguardPort,
    };
  }

  async #jwt(gatewayId: string, orgId: string, siteIds: string[], natsPublicKey: string): Promise<string> {
    const grants = JSON.stringify([orgId, siteIds, natsPublicKey]);
    const signed = this.#signed.get(gatewayId);
    if (signed?.grants === grants) return signed.jwt;
    const jwt = await this.authority.gatewayUserJwt(gatewayId, orgId, siteIds, natsPublicKey);
    this.#signed.set(gatewayId, { grants, jwt });
    return jwt;
  }

  /** Answers gateways' requests for their settings. */
  answer(): () => void {
    const subscription = this.nc.subscribe('rn.gateway.*.settings', { queue: 'gateway-registry' });
    void (async () => {
      for await (const request of subscription) {
        const gatewayId = request.subject.split('.')[2] ?? '';
        const assignment = await this.current(gatewayId).catch(() => undefined);
        request.respond(assignment ? new TextEncoder().encode(JSON.stringify(assignment)) : new Uint8Array());
      }
    })();
    return () => subscription.unsubscribe();
  }

  /** Tells a gateway now that its sites changed. */
  async push(gatewayId: string): Promise<void> {
    const assignment = await this.current(gatewayId);
    if (!assignment) return;
    this.nc.publish(gatewayControlSubject(gatewayId), JSON.stringify(assignment));
    this.logger.info(
      { gatewayId, sites: assignment.siteIds, wireguardPort: assignment.wireguardPort },
      'told the gateway its new settings',
    );
  }
}
