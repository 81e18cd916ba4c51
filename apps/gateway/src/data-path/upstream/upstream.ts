import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@rustronaut/observability';
import type { Balancer, TargetState } from './balancer/balancer';
import type { TunnelRegistry } from '../tunnels/tunnel-registry';
import { page } from '../http/pages';
import { DEFAULT_UPSTREAM, TlsUpstreams, isConnectTimeout, type UpstreamSettings } from './upstream-tls';
import type { TargetRoute, UpstreamContext } from './exchange-context';
import { connectingWithin, sendHttp1 } from './http1-exchange';
import { sendHttp2 } from './http2-exchange';
import { joinUpgrade } from './upgrade';
import type { Admission } from '../model';

/** Methods a request of which may be sent again to another target when the first one refused it. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/** No body at all (so nothing of it can have been sent). */
function bodiless(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined;
}

/**
 * Sends admitted requests to a target the balancer picks: keep-alive pool, bodies streamed both
 * ways, 502/503/504 pages. An `https` target is reached over verified TLS, by HTTP/2 when it
 * offers it (see TlsUpstreams). Connecting and answering have their own timeouts, and the page
 * says which one ran out. A connection failure counts against the target (repeated ones eject
 * it), and an idempotent request without a body is sent once more, to another target.
 *
 * The exchanges themselves live beside it: HTTP/1.1 (http1-exchange.ts), HTTP/2
 * (http2-exchange.ts), upgrades (upgrade.ts); they see this class as an UpstreamContext.
 */
export class Upstream implements UpstreamContext {
  /** Plain-HTTP target connections, kept alive; a target silent for the response timeout → 504. */
  readonly #agent: Agent;
  readonly tls: TlsUpstreams;

  constructor(
    readonly balancer: Balancer,
    readonly logger: Logger,
    readonly settings: UpstreamSettings = DEFAULT_UPSTREAM,
    readonly tunnels?: TunnelRegistry,
  ) {
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: 512,
      maxFreeSockets: 256,
      timeout: settings.responseTimeoutMs,
    });
    this.#agent.createConnection = connectingWithin(settings.connectTimeoutMs);
    this.tls = new TlsUpstreams(settings, logger);
  }

  /**
   * How a request reaches its target: the keep-alive pool, or the pool of streams through an
   * exposed service's tunnel (undefined when that tunnel is not connected).
   */
  route(admission: Admission, picked: TargetState): TargetRoute | undefined {
    const destination = picked.destination;
    if (!('tunnel' in destination)) return { ...destination, agent: this.#agent };
    const agent = this.tunnels?.agentFor(admission.resource.id, destination);
    return agent && { host: destination.tunnel, port: 80, agent };
  }

  tunnelOffline(resource: Admission['resource']): string {
    return `Tunnel offline: ${resource.name} is exposed through a tunnel, and its client (rustronaut expose) is not connected.`;
  }

  forward(admission: Admission, res: ServerResponse): void {
    const picked = this.balancer.choose(admission.resource);
    // Least connections with several workers: the primary picks (see Balancer.choose).
    if (picked instanceof Promise)
      return void picked.then((target) => this.#forwardTo(admission, res, target));
    this.#forwardTo(admission, res, picked);
  }

  #forwardTo(admission: Admission, res: ServerResponse, picked: TargetState | undefined): void {
    if (!picked) return this.fail(admission, res, 503, this.balancer.noTargetMessage(admission.resource));
    const retriable = IDEMPOTENT.has(admission.req.method ?? '') && bodiless(admission.req);
    this.send(admission, res, picked, retriable);
  }

  close(): void {
    this.tls.close();
    this.#agent.destroy();
  }

  send(admission: Admission, res: ServerResponse, picked: TargetState, retriable: boolean): void {
    if (picked.protocol !== 'https') return sendHttp1(this, admission, res, picked, retriable, false);
    this.tls.route(picked, (error, via) => {
      if (error || !via)
        return this.unreachable(admission, res, picked, retriable, error ?? new Error('no route'));
      if (via === 'http/1.1') return sendHttp1(this, admission, res, picked, retriable, true);
      sendHttp2(this, admission, res, picked, retriable, via);
    });
  }

  /** Could not even connect: counted against the target, retried elsewhere when safe, else 502. */
  unreachable(
    admission: Admission,
    res: ServerResponse,
    picked: TargetState,
    retriable: boolean,
    error: NodeJS.ErrnoException,
  ): void {
    const { resource } = admission;
    // Refused, timed out, or a TLS handshake that failed (a certificate we cannot verify): no exchange.
    this.balancer.connectFailed(picked, error);
    this.logger.warn(
      { resource: resource.id, target: picked.target, err: error },
      'could not connect to a target',
    );
    if (res.headersSent || res.destroyed) return void res.destroy();
    if (retriable) return this.retry(admission, res, picked, error);
    this.fail(admission, res, 502, this.notAnswering(admission, picked, error));
  }

  /** Sent once more, to another target than `failed`; a 502 when there is none. */
  retry(admission: Admission, res: ServerResponse, failed: TargetState, error: NodeJS.ErrnoException): void {
    const next = this.balancer.choose(admission.resource, failed);
    if (next instanceof Promise)
      return void next.then((target) => this.#resend(admission, res, failed, error, target));
    this.#resend(admission, res, failed, error, next);
  }

  #resend(
    admission: Admission,
    res: ServerResponse,
    failed: TargetState,
    error: NodeJS.ErrnoException,
    next: TargetState | undefined,
  ): void {
    if (next) return this.send(admission, res, next, false);
    this.fail(admission, res, 502, this.notAnswering(admission, failed, error));
  }

  notAnswering(admission: Admission, picked: TargetState, error: NodeJS.ErrnoException): string {
    const name = admission.resource.name;
    if (isConnectTimeout(error))
      return `Could not connect to the target ${picked.target} of ${name} within ${this.settings.connectTimeoutMs / 1000} s.`;
    return `The target ${picked.target} of ${name} is not answering (${error.code ?? error.message}).`;
  }

  silent(admission: Admission, picked: TargetState): string {
    return `The target ${picked.target} of ${admission.resource.name} did not answer within ${this.settings.responseTimeoutMs / 1000} s.`;
  }

  /** The gateway answers for a target that could not: the page, and the reason in the access log. */
  fail(admission: Admission, res: ServerResponse, status: number, message: string): void {
    admission.record.fail('target', message);
    page(res, status, message);
  }

  /** A WebSocket (or any HTTP upgrade), once admitted: the two sockets are joined. */
  join(admission: Admission, socket: Duplex, head: Buffer): void {
    joinUpgrade(this, admission, socket, head);
  }
}
