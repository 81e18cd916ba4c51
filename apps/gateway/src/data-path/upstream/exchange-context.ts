import type { ServerResponse, Agent } from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from '@rustronaut/observability';
import type { Balancer, TargetState } from './balancer/balancer';
import type { TunnelRegistry } from '../tunnels/tunnel-registry';
import type { TlsUpstreams, UpstreamSettings } from './upstream-tls';
import type { Admission } from '../model';

/** Where a request goes: a target's address (or tunnel), and the pool that reaches it. */
export type TargetRoute = { host: string; port: number; agent: Agent } | { socketPath: string; agent: Agent };

/**
 * The Upstream as its exchanges (HTTP/1.1, HTTP/2, upgrades) see it: the balancer and settings they
 * report to, how a target is reached, and what they hand back when a target fails them.
 */
export interface UpstreamContext {
  readonly balancer: Balancer;
  readonly logger: Logger;
  readonly settings: UpstreamSettings;
  /** Verified TLS to `https` targets: the HTTP/1.1 agent, the CA, the HTTP/2 sessions. */
  readonly tls: TlsUpstreams;
  readonly tunnels?: TunnelRegistry;
  /** How a request reaches its target (undefined when its tunnel is not connected). */
  route(admission: Admission, picked: TargetState): TargetRoute | undefined;
  /** Sends the request to `picked` by the protocol the target speaks. */
  send(admission: Admission, res: ServerResponse, picked: TargetState, retriable: boolean): void;
  /** Could not even connect: counted against the target, retried elsewhere when safe, else 502. */
  unreachable(
    admission: Admission,
    res: ServerResponse,
    picked: TargetState,
    retriable: boolean,
    error: NodeJS.ErrnoException,
  ): void;
  /** Sent once more, to another target than `failed` (which could not be connected to); a 502 when there is none. */
  retry(admission: Admission, res: ServerResponse, failed: TargetState, error: NodeJS.ErrnoException): void;
  /** The gateway answers for a target that could not: the page, and the reason in the access log. */
  fail(admission: Admission, res: ServerResponse, status: number, message: string): void;
  notAnswering(admission: Admission, picked: TargetState, error: NodeJS.ErrnoException): string;
  silent(admission: Admission, picked: TargetState): string;
  tunnelOffline(resource: Admission['resource']): string;
}

/**
 * The name a target's certificate is checked against: its configured host — never the client's
 * Host, which Node would otherwise use. '' for an address (checked against its IP SANs, no SNI).
 */
export function tlsServerName(target: TargetState): string {
  const destination = target.destination;
  return 'host' in destination && !isIP(destination.host) ? destination.host : '';
}
