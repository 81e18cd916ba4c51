import type { Socket } from 'node:net';
import type { Logger } from '@rustronaut/observability';
import type { AccessRecord } from '../../access-log/access-record';
import type { Balancer } from '../upstream/balancer/balancer';
import type { L4Options } from './l4-resource';
import { PortPolicy } from './port-policy';
import { SourceFirewall } from './source-firewall';
import { joinTcp } from './tcp-listener';
import type { RoutedResource, SnapshotSource } from '../model';

export { FORWARD_PATH, FORWARD_UPGRADE } from '@rustronaut/tunnel';

/**
 * `rustronaut forward remote-db.company.com:5432 localhost:5432`: a signed-in user's local
 * connections, each carried to the gateway as an upgraded HTTPS request naming `host:port`. The
 * name is a TCP resource's: one of its domains with its public port or one of its targets' ports
 * (so a private TCP resource without a public port can be reached this way only). The request is
 * admitted like any other (firewall, token, policy); the connection is then joined to a target.
 */
export class Forwarding {
  #byAddress = new Map<string, RoutedResource>();

  constructor(
    private readonly balancer: Balancer,
    private readonly options: L4Options,
    private readonly logger: Logger,
    source: SnapshotSource,
  ) {
    const rebuild = () => {
      const next = new Map<string, RoutedResource>();
      for (const { snapshot } of source.all().values()) {
        for (const resource of snapshot.resources) {
          if (resource.protocol !== 'tcp') continue;
          const routed = { ...resource, orgId: snapshot.orgId, siteId: snapshot.siteId };
          const ports = new Set<number>(resource.publicPort === null ? [] : [resource.publicPort]);
          for (const target of resource.targets) {
            const port = Number(/:(\d+)$/.exec(target.address)?.[1]);
            if (port) ports.add(port);
          }
          for (const domain of resource.domains)
            for (const port of ports) next.set(`${domain}:${port}`, routed);
        }
      }
      this.#byAddress = next;
    };
    source.onChanged(rebuild);
    rebuild();
  }

  /** The TCP resource `host:port` names, if any. */
  resolve(address: string): RoutedResource | undefined {
    return this.#byAddress.get(address.toLowerCase());
  }

  /** An admitted connection (its 101 already sent): on to a target of the resource. */
  join(resource: RoutedResource, socket: Socket, record: AccessRecord | undefined): void {
    // The firewall already ran as an admission stage of the upgrade request.
    // Admitted before, by the HTTP stages with the user's token and policies.
    const route = { resource, firewall: SourceFirewall.OPEN, policy: PortPolicy.PUBLIC };
    joinTcp(
      { balancer: this.balancer, options: this.options, logger: this.logger },
      socket,
      route,
      undefined,
      record,
    );
  }
}
