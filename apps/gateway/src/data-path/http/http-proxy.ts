import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TUNNEL_PATH, TUNNEL_UPGRADE } from '@rustronaut/tunnel';
import type { TLSSocket } from 'node:tls';
import type { AccessDecider } from '@rustronaut/contracts';
import type { Logger } from '@rustronaut/observability';
import type { AccessLog } from '../../access-log/access-log';
import type { AccessRecord } from '../../access-log/access-record';
import { EDGE_PREFIX } from '../admission/auth/edge-endpoints';
import { Balancer } from '../upstream/balancer/balancer';
import { sendRefusal, writeRefusalToSocket } from './pages';
import { factsOf, rawPathOf } from './request-facts';
import { RequestHeadLimits } from './request-head';
import type { TunnelRegistry } from '../tunnels/tunnel-registry';
import { FORWARD_PATH, FORWARD_UPGRADE, type Forwarding } from '../l4/forwarding';
import { RouteTable } from './route-table';
import { NO_TRUSTED_PROXIES, type TrustedProxies } from './trusted-proxies';
import { ACME_CHALLENGE_PREFIX } from '../tls/acme-certificates';
import type { TlsCertificates } from '../tls/certificates';
import type { UpstreamSettings } from '../upstream/upstream-tls';
import { Upstream } from '../upstream/upstream';
import type { Admission, Refusal, SnapshotSource } from '../model';
import { AdmissionPipeline, type PipelineOptions } from '../pipeline';

/** The pipeline's options (verifier, assertions, console URL, countries, shared buckets) and the listeners'. */
export interface HttpProxyOptions extends PipelineOptions {
  /** `rustronaut forward`: TCP resources reached through upgraded HTTPS requests. */
  forwarding?: Forwarding;
  /** Exposed services' tunnels: accepted on the HTTPS port, and the way to their resources. */
  tunnels?: TunnelRegistry;
  /** Where each request's record goes (and the per-resource metrics). */
  accessLog: AccessLog;
  balancer?: Balancer;
  /** The largest request head read; a larger one is answered 431 (RN_GATEWAY_MAX_HEADER_BYTES). */
  maxHeaderBytes?: number;
  /** The most header fields a request may carry; more are answered 431 (RN_GATEWAY_MAX_HEADER_COUNT). */
  maxHeaderCount?: number;
  /** Proxies whose X-Forwarded-For/-Proto are believed (RN_GATEWAY_TRUSTED_PROXIES); none by default. */
  trustedProxies?: TrustedProxies;
  /** Timeouts towards targets and the CA trusted for https targets. */
  upstream?: UpstreamSettings;
}

/** Responses to HTTP/1.1 requests whose client waits for `100 Continue` before sending its body. */
const awaitingContinue = new WeakSet<ServerResponse>();

const NOT_FOUND: Refusal = {
  status: 404,
  message: 'No resource is published at this address on this gateway.',
  by: 'route',
};

const CHECK_FAILED: Refusal = {
  status: 503,
  message: 'The gateway could not check this request; retry.',
  by: 'gateway',
};

/** The access record of a response (HTTP/1.1 or HTTP/2), so one shared listener can finish it. */
const RECORD = Symbol('access record');
type RecordedResponse = ServerResponse & { [RECORD]?: AccessRecord };

/** 'close' of a response (done, or the client left): the record gets its status and goes to the log. */
function closeRecord(this: RecordedResponse): void {
  const record = this[RECORD];
  if (!record) return;
  // A client that left before the answer: 499, as proxies log it.
  record.end(this.headersSent ? this.statusCode : 499);
  if (!this.headersSent) record.reason ??= 'the client left before the answer';
  record.sink.finish(record);
}

/** What refused, for a refusal that does not say: by the status it answers with. */
function deciderOf(status: number): AccessDecider {
  if (status === 401 || (status >= 300 && status < 400)) return 'authentication';
  if (status === 403) return 'policy';
  if (status === 429) return 'rate_limit';
  if (status === 413) return 'size_limit';
  if (status === 404 || status === 421) return 'route';
  return 'gateway';
}

const MISDIRECTED: Refusal = {
  status: 421,
  message:
    'This connection was opened for another host (TLS server name and Host differ); open a new one for this host.',
  by: 'route',
};

export interface HttpProxyTimeouts {
  /** How long a client may take to send a request's headers (server.headersTimeout). */
  headersMs: number;
  /** How long an idle keep-alive connection (or HTTP/2 session) is kept open. */
  idleMs: number;
}

const DEFAULT_TIMEOUTS: HttpProxyTimeouts = { headersMs: 20_000, idleMs: 65_000 };

/**
 * The HTTP data path: route by host and canonical path from the snapshots, run the admission stages
 * (the pipeline: firewall, limits, authenticate, decide), and forward to a target with the caller's identity in headers; bodies
 * stream both ways. Everything is decided from the local snapshots.
 */
export class HttpProxy {
  #routes = new RouteTable([]);
  readonly #pipeline: AdmissionPipeline;
  readonly #upstream: Upstream;
  readonly #tunnels: TunnelRegistry | undefined;
  readonly #forwarding: Forwarding | undefined;
  readonly #maxHeaderBytes: number;
  readonly #head: RequestHeadLimits;
  readonly #trustedProxies: TrustedProxies;
  readonly #accessLog: AccessLog;
  #acmeAnswer: ((token: string) => string | undefined) | undefined;

  constructor(
    private readonly configs: SnapshotSource,
    private readonly logger: Logger,
    options: HttpProxyOptions,
  ) {
    this.#accessLog = options.accessLog;
    this.#pipeline = new AdmissionPipeline(configs, logger, options);
    this.#maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
    this.#head = new RequestHeadLimits(this.#maxHeaderBytes, options.maxHeaderCount ?? 200);
    this.#trustedProxies = options.trustedProxies ?? NO_TRUSTED_PROXIES;
    this.#upstream = new Upstream(
      options.balancer ?? new Balancer(configs, { logger }),
      logger,
      options.upstream,
      options.tunnels,
    );
    this.#tunnels = options.tunnels;
    this.#forwarding = options.forwarding;
    configs.onChanged(() => this.#rebuild());
    this.#rebuild();
  }

  listen(port: number, host: string, timeouts: HttpProxyTimeouts = DEFAULT_TIMEOUTS): Promise<Server> {
    const server = createServer({ maxHeaderSize: this.#maxHeaderBytes }, (req, res) => {
      if (this.#acmeAnswer && req.url?.startsWith(ACME_CHALLENGE_PREFIX))
        return this.#answerAcmeChallenge(req, res, this.#acmeAnswer);
      this.#handle(req, res, 'http');
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket, head, 'http'),
    );
    // `Expect: 100-continue`: the client waits for a go-ahead before its body, so a request that is
    // refused (a body over the limit, a firewall rule, …) is answered before any of the body is sent.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      awaitingContinue.add(res);
      this.#handle(req, res, 'http');
    });
    server.maxHeadersCount = this.#head.parserHeadersCount;
    server.keepAliveTimeout = timeouts.idleMs;
    server.headersTimeout = timeouts.headersMs;
    Object.assign(server, { connectionsCheckingInterval: checkingInterval(timeouts) });
    server.requestTimeout = 0; // long uploads and downloads stream; idle sockets are timed out instead
    return listening(server, port, host);
  }

  /**
   * The HTTPS listener: HTTP/2 for clients that offer it (ALPN), HTTP/1.1 otherwise, the
   * certificate chosen per TLS server name. A request whose Host differs from the server name its
   * connection was opened for gets 421 (RFC 9110 §15.5.20), so a certificate for one host never
   * carries requests for another.
   */
  listenHttps(
    port: number,
    host: string,
    certificates: TlsCertificates,
    timeouts: HttpProxyTimeouts = DEFAULT_TIMEOUTS,
  ): Promise<Http2SecureServer> {
    const fallback = certificates.defaultCertificate;
    const server = createSecureServer(
      {
        allowHTTP1: true,
        minVersion: 'TLSv1.2',
        SNICallback: certificates.sniCallback,
        ...fallback.pem,
        // Node resets streams past these; the gateway answers 431 well before (see RequestHeadLimits).
        settings: { maxHeaderListSize: this.#head.http2HeaderListSize },
        maxHeaderListPairs: this.#head.http2HeaderPairs,
      },
      // The HTTP/2 compatibility request and response offer what the data path reads and writes.
      (req, res) =>
        this.#handle(req as unknown as IncomingMessage, res as unknown as ServerResponse, 'https'),
    );
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket, head, 'https'),
    );
    server.setTimeout(timeouts.idleMs); // HTTP/2 sessions and HTTP/1.1 sockets left idle
    // Read by the HTTP/1.1 fallback's parser, as on an http.Server.
    Object.assign(server, {
      maxHeaderSize: this.#maxHeaderBytes,
      maxHeadersCount: this.#head.parserHeadersCount,
      keepAliveTimeout: timeouts.idleMs,
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: checkingInterval(timeouts),
      requestTimeout: 0,
    });
    return listening(server, port, host);
  }

  /** The HTTP listener answers ACME HTTP-01 challenges (`/.well-known/acme-challenge/<token>`) from `answer`. */
  answerAcmeChallenges(answer: (token: string) => string | undefined): void {
    this.#acmeAnswer = answer;
  }

  #answerAcmeChallenge(
    req: IncomingMessage,
    res: ServerResponse,
    answer: (token: string) => string | undefined,
  ): void {
    const token = rawPathOf(req.url ?? '').slice(ACME_CHALLENGE_PREFIX.length);
    const keyAuthorization = answer(token);
    if (keyAuthorization === undefined)
      return sendRefusal(res, { status: 404, message: 'No ACME challenge is pending under this token.' });
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(keyAuthorization);
  }

  /** Whether some resource is published at this host (for the certificates). */
  serves(host: string): boolean {
    return this.#routes.serves(host);
  }

  /** The exact domains of the published HTTP resources (what ACME can certify by HTTP-01). */
  exactDomains(): string[] {
    return this.#routes.exactDomains();
  }

  #rebuild(): void {
    const snapshots = [...this.configs.all().values()].map((a) => a.snapshot);
    this.#routes = new RouteTable(snapshots);
    this.#pipeline.update(this.#routes.resources());
    this.#accessLog.metrics.forgetAllBut(new Set(snapshots.flatMap((s) => s.resources.map((r) => r.id))));
  }

  /** Route and run the stages; synchronous as long as every stage is (a public resource). */
  #admit(
    req: IncomingMessage,
    scheme: 'http' | 'https',
    record: AccessRecord,
  ): { admission: Admission; outcome: Refusal | undefined | Promise<Refusal | undefined> } | Refusal {
    const facts = factsOf(req, scheme, this.#trustedProxies);
    record.facts = facts;
    // Size and framing first: before routing, credentials or any rule.
    const head = this.#head.check(req);
    if (head) return head;
    if (facts.malformed !== null) return { status: 400, message: facts.malformed, by: 'route' };
    if (scheme === 'https' && facts.host !== serverNameOf(req)) return MISDIRECTED;
    const resource = this.#routes.match(facts.host, facts.path);
    if (!resource) return NOT_FOUND;
    record.resource = resource;
    this.#accessLog.metrics.started(resource.id);
    const admission: Admission = { req, facts, resource, caller: null, country: undefined, record };
    // The gateway's own pages (sign-in callback, JWKS, …) on every resource host: never proxied.
    if (facts.path.startsWith(EDGE_PREFIX)) {
      record.gatewayPage = true;
      return { admission, outcome: this.#pipeline.endpoints.handle(admission) };
    }
    return { admission, outcome: this.#pipeline.admit(admission) };
  }

  #handle(req: IncomingMessage, res: RecordedResponse, scheme: 'http' | 'https'): void {
    const record = this.#accessLog.start(req);
    res[RECORD] = record;
    res.on('close', closeRecord);
    const admitted = this.#admit(req, scheme, record);
    if ('status' in admitted) return this.#refuse(res, record, admitted, null);
    const { admission, outcome } = admitted;
    if (outcome === undefined) return this.#forward(admission, res);
    if (!(outcome instanceof Promise)) return this.#refuse(res, record, outcome, admission.caller);
    outcome.then(
      (refusal) =>
        refusal ? this.#refuse(res, record, refusal, admission.caller) : this.#forward(admission, res),
      (error: unknown) => {
        this.logger.error({ err: error, resource: admission.resource.id }, 'admission failed');
        this.#refuse(res, record, CHECK_FAILED, admission.caller);
      },
    );
  }

  #forward(admission: Admission, res: ServerResponse): void {
    admission.record.admit(admission.caller);
    if (admission.req.headers.expect !== undefined && awaitingContinue.has(res)) res.writeContinue();
    this.#upstream.forward(admission, res);
  }

  #refuse(res: ServerResponse, record: AccessRecord, refusal: Refusal, caller: Admission['caller']): void {
    record.refuse(refusal.by ?? deciderOf(refusal.status), refusal.message, caller);
    // The gateway's own pages (JWKS, a completed sign-in hand-off) answer; they refuse nothing.
    if (record.gatewayPage && refusal.status < 400) record.decision = 'allowed';
    sendRefusal(res, refusal);
  }

  /**
   * A WebSocket (or any HTTP upgrade): admitted like a request, then the two sockets are joined.
   * Its record is finished when the client's socket closes, so its bytes and duration are the
   * connection's.
   */
  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, scheme: 'http' | 'https'): void {
    socket.on('error', () => socket.destroy());
    if (req.headers.upgrade?.toLowerCase() === TUNNEL_UPGRADE && rawPathOf(req.url ?? '') === TUNNEL_PATH) {
      if (scheme === 'https' && this.#tunnels) return this.#tunnels.accept(socket as Socket, head);
      return writeRefusalToSocket(socket, {
        status: 400,
        message: 'Tunnels connect to the HTTPS port of this gateway.',
      });
    }
    const forwarding =
      req.headers.upgrade?.toLowerCase() === FORWARD_UPGRADE && rawPathOf(req.url ?? '') === FORWARD_PATH;
    if (forwarding && (scheme !== 'https' || !this.#forwarding))
      return writeRefusalToSocket(socket, {
        status: 400,
        message: 'Forwarded connections come to the HTTPS port of this gateway.',
      });
    const record = this.#accessLog.start(req);
    const admitted = forwarding ? this.#admitForward(req, record) : this.#admit(req, scheme, record);
    const refuse = (refusal: Refusal, caller: Admission['caller']) => {
      record.refuse(refusal.by ?? deciderOf(refusal.status), refusal.message, caller);
      record.end(refusal.status);
      record.sink.finish(record);
      writeRefusalToSocket(socket, refusal);
    };
    if ('status' in admitted) return refuse(admitted, null);
    const { admission } = admitted;
    void Promise.resolve(admitted.outcome).then(
      (refusal) => {
        if (refusal) return refuse(refusal, admission.caller);
        record.admit(admission.caller);
        const metrics = this.#accessLog.metrics;
        metrics.upgradeOpened(admission.resource.id);
        socket.once('close', () => {
          metrics.upgradeClosed(admission.resource.id);
          record.end(record.status || 502);
          record.sink.finish(record);
        });
        if (!forwarding) return this.#upstream.join(admission, socket, head);
        record.status = 101;
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${FORWARD_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`,
        );
        if (head.length) socket.unshift(head);
        this.#forwarding?.join(admission.resource, socket as Socket, undefined);
      },
      () => refuse(CHECK_FAILED, admission.caller),
    );
  }

  /**
   * A `rustronaut forward` connection: `?to=host:port` names a TCP resource; it is admitted by the
   * same stages as a request (firewall, rate limit, token, policy), with the user's bearer token.
   */
  #admitForward(
    req: IncomingMessage,
    record: AccessRecord,
  ): { admission: Admission; outcome: Refusal | undefined | Promise<Refusal | undefined> } | Refusal {
    const facts = factsOf(req, 'https', this.#trustedProxies);
    record.facts = facts;
    const head = this.#head.check(req);
    if (head) return head;
    const to = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('to') ?? '';
    const resource = this.#forwarding?.resolve(to);
    if (!resource)
      return {
        status: 404,
        message: `No TCP resource answers for ${to || '(no ?to=host:port)'} on this gateway.`,
      };
    record.resource = resource;
    this.#accessLog.metrics.started(resource.id);
    const admission: Admission = { req, facts, resource, caller: null, country: undefined, record };
    return { admission, outcome: this.#pipeline.admit(admission) };
  }
}

/** The TLS server name (SNI) the request's connection was opened for; '' when the client sent none. */
function serverNameOf(req: IncomingMessage): string {
  const name = (req.socket as TLSSocket).servername;
  return typeof name === 'string' ? name.toLowerCase().replace(/\.$/, '') : '';
}

/** How often Node looks for connections past the header timeout (30 s by default: too coarse). */
function checkingInterval(timeouts: HttpProxyTimeouts): number {
  return Math.min(30_000, Math.max(250, timeouts.headersMs / 4));
}

function listening<S extends Server | Http2SecureServer>(server: S, port: number, host: string): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
