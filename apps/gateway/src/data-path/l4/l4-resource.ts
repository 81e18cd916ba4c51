import type { Logger } from '@rustronaut/observability';
import type { AccessLog } from '../../access-log/access-log';
import type { Balancer } from '../upstream/balancer/balancer';
import type { CountryLookup } from '../admission/firewall/geoip';
import type { PortPolicy } from './port-policy';
import type { SourceFirewall } from './source-firewall';
import type { TunnelRegistry } from '../tunnels/tunnel-registry';
import type { L4Metrics, RoutedResource } from '../model';

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
