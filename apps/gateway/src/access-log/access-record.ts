import { performance } from 'node:perf_hooks';
import type { AccessDecider, AccessDecision, AccessRecordWire } from '@rustronaut/contracts';
import type { AdmissionRecord, Caller, DecidingRule, RequestFacts, RoutedResource } from '../data-path/model';

/** Where a finished record goes (the access log); held by the record so a response listener needs no closure. */
export interface RecordSink {
  finish(record: AccessRecord): void;
}

/**
 * Where the previous request on a keep-alive connection ended, in the socket's byte counters: the
 * next request's bytes (its headers included, which are read before it starts) are counted from there.
 */
const READ_MARK = Symbol('bytes read when the last request ended');
const WRITTEN_MARK = Symbol('bytes written when the last request ended');
/** The client's connection, as far as a record counts its bytes. */
export interface CountedSocket {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}
type MarkedSocket = CountedSocket & { [READ_MARK]?: number; [WRITTEN_MARK]?: number };

const MAX_PATH = 2048;
const MAX_REASON = 500;

/**
 * One request, filled in as it goes through the data path: facts when it arrives, the resource
 * when routed, the decision when admitted or refused, status, bytes and duration when the response
 * is done. One object per request; turned into its wire form only when a batch is shipped.
 */
export class AccessRecord implements AdmissionRecord {
  /** Wall-clock start (ms since the epoch). */
  readonly at = Date.now();
  readonly #t0 = performance.now();
  readonly #bytesIn0: number;
  readonly #bytesOut0: number;
  facts: RequestFacts | null = null;
  /** A TCP connection or UDP flow (an L4 resource) rather than an HTTP request. */
  l4: { protocol: 'tcp' | 'udp'; ip: string } | null = null;
  resource: RoutedResource | null = null;
  caller: Caller | null = null;
  decision: AccessDecision = 'allowed';
  decidedBy: AccessDecider = 'public';
  rule: DecidingRule | null = null;
  reason: string | null = null;
  admissionMs = 0;
  totalMs = 0;
  status = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** A page of the gateway's own (`/.rustronaut/…`), not the resource's. */
  gatewayPage = false;
  /** Set once the record went to its sink (a response and its socket can both report the end). */
  finished = false;

  constructor(
    readonly id: string,
    private socket: CountedSocket | null,
    private readonly traceparent: string | string[] | undefined,
    readonly sink: RecordSink,
  ) {
    const marked = socket as MarkedSocket;
    this.#bytesIn0 = marked[READ_MARK] ?? 0;
    this.#bytesOut0 = marked[WRITTEN_MARK] ?? 0;
  }

  /** The request may go on to its target. */
  admit(caller: Caller | null): void {
    this.admissionMs = performance.now() - this.#t0;
    this.caller = caller;
    this.decision = 'allowed';
    // No policy rule on a protected resource: the caller's own grant (PIN, password, share link).
    this.decidedBy = this.rule
      ? 'policy'
      : !this.l4 && this.resource?.authRequired
        ? 'authentication'
        : 'public';
  }

  /** The request was answered by the gateway instead of the target. */
  refuse(by: AccessDecider, reason: string, caller: Caller | null): void {
    // A refusal after admission (a body found too large while streaming) keeps the admission time.
    if (this.admissionMs === 0) this.admissionMs = performance.now() - this.#t0;
    this.caller = caller;
    this.decision = by === 'gateway' ? 'failed' : 'refused';
    this.decidedBy = by;
    this.reason = reason;
  }

  /** Admitted, but the target (or the gateway) could not answer. */
  fail(by: 'target' | 'gateway', reason: string): void {
    this.decision = 'failed';
    this.decidedBy = by;
    this.reason = reason;
  }

  /** The response is done (or the client left): status, bytes on the client's connection, duration. */
  end(status: number): void {
    this.totalMs = performance.now() - this.#t0;
    this.status = status;
    // Bytes on the client's connection for this request (headers included); requests on one
    // keep-alive connection follow each other, so what came since the previous one ended is this one's.
    const socket = this.socket as MarkedSocket | null;
    if (!socket) return;
    // An HTTP/2 request's socket is the session's proxy, which may not count: then 0, never NaN
    // (a NaN would make the whole batch unreadable to the console).
    const read = Number(socket.bytesRead);
    const written = Number(socket.bytesWritten);
    if (Number.isFinite(read)) {
      this.bytesIn = Math.max(0, read - this.#bytesIn0);
      socket[READ_MARK] = read;
    }
    if (Number.isFinite(written)) {
      this.bytesOut = Math.max(0, written - this.#bytesOut0);
      socket[WRITTEN_MARK] = written;
    }
    // A queued record must not keep its connection (and its buffers) alive.
    this.socket = null;
  }

  /** A connection or flow ended: its duration, and the bytes it carried each way. */
  endConnection(bytesIn: number, bytesOut: number): void {
    this.totalMs = performance.now() - this.#t0;
    this.bytesIn = bytesIn;
    this.bytesOut = bytesOut;
  }

  toWire(): AccessRecordWire {
    const facts = this.facts;
    const l4 = this.l4;
    return {
      id: this.id,
      at: new Date(this.at).toISOString(),
      siteId: this.resource?.siteId ?? null,
      resourceId: this.resource?.id ?? null,
      userId: this.caller?.id ?? null,
      email: this.caller?.email ?? null,
      ip: facts?.ip ?? l4?.ip ?? '',
      method: l4 ? l4.protocol.toUpperCase() : (facts?.method ?? '').slice(0, 32),
      host: (facts?.host ?? '').slice(0, 255),
      path: (facts?.path ?? '').slice(0, MAX_PATH),
      status: this.status,
      decision: this.decision,
      decidedBy: this.decidedBy,
      ruleId: this.rule?.policyId ?? null,
      ruleName: this.rule?.name ?? null,
      reason: this.reason === null ? null : this.reason.slice(0, MAX_REASON),
      admissionMs: round(this.admissionMs),
      totalMs: round(this.totalMs),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      traceId: traceIdOf(this.traceparent),
    };
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The trace id of a W3C `traceparent` header, if the client sent a well-formed one. */
export function traceIdOf(traceparent: string | string[] | undefined): string | null {
  if (typeof traceparent !== 'string') return null;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent.trim());
  const id = match?.[1];
  return id && id !== '0'.repeat(32) ? id : null;
}
