import type { Logger } from '@rustronaut/observability';
import type { AccessLog } from '../../access-log/access-log';
import type { Balancer } from '../upstream/balancer/balancer';
import type { CountryLookup } from '../admission/firewall/geoip';
import type { RoutedResource } from '../http/route-table';
import type { PortPolicy } from './port-policy';
import type { SourceFirewall } from './source-firewall';
import type { TunnelRegistry } from '../tunnels/tunnel-registry';

/** What a TCP/UDP listener serves: the resource as of the latest snapshot, its compiled firewall and policies. */
export interface L4Route {
  resource: RoutedResource;
  firewall: SourceFirewall;
  policy: PortPolicy;
}

export interface L4Options {
  /** The address public ports bind on. */
  host: string;
  connectTimeoutMs: number;
  udpIdleMs: number;
  udpMaxFlows: number;
  /** For firewall rules that name countries (the GeoIP database, if any). */
  countries?: CountryLookup;
  /** Per-resource counters of connections, flows and bytes (the management /metrics). */
  metrics?: L4Metrics;
  /**
   * Where each TCP connection and UDP flow is recorded (the access log) when it ends; a refused TCP
   * connection too. UDP datagrams refused before a flow exists are only counted in the metrics.
   */
  accessLog?: AccessLog;
  /** Exposed TCP/UDP services are reached through their clients' tunnels. */
  tunnels?: TunnelRegistry;
}

/** What the TCP and UDP listeners count, per resource. */
export interface L4Metrics {
  /** A connection (TCP) or flow (UDP) was let in, or refused (firewall, flow limit), or failed (no target). */
  l4Decided(
    resourceId: string,
    protocol: 'tcp' | 'udp',
    outcome: 'allowed' | 'refused' | 'failed',
    by: 'public' | 'firewall' | 'policy' | 'flow_limit' | 'target',
  ): void;
  /** A connection or flow let in is open now (until `l4Closed`). */
  l4Opened(resourceId: string, protocol: 'tcp' | 'udp'): void;
  l4Closed(resourceId: string, protocol: 'tcp' | 'udp', bytesIn: number, bytesOut: number): void;
}

/** A listener on one public port: opened, pointed at the newest route, closed, drained. */
export interface L4Listener {
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  route: L4Route;
  open(): Promise<void>;
  /** Stops taking new connections (open TCP ones go on); a UDP port closes with its flows. */
  stopAccepting(): void;
  /** Connections (TCP) or flows (UDP) open now. */
  readonly active: number;
  /** Ends every connection/flow now. */
  destroyAll(): void;
}

export interface L4Context {
  balancer: Balancer;
  options: L4Options;
  logger: Logger;
}
