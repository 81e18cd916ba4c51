import type { IncomingMessage } from 'node:http';
import type { AccessDecider, Role, SiteSnapshot } from '@rustronaut/contracts';

/**
 * The data path's shared vocabulary: what a request is (its facts), where it is routed, who is
 * asking, what admits or refuses it, and where the snapshots come from. Every part of the data
 * path (http, admission, upstream, l4, tunnels) and the access log speak these types; this module
 * imports nothing of theirs.
 */

/** A site's snapshot as the gateway applied it (verified, and when). */
export interface AppliedSnapshot {
  snapshot: SiteSnapshot;
  appliedAt: Date;
}

/** Where the data path reads what to serve: the applied site snapshots (SiteConfigs in the gateway). */
export interface SnapshotSource {
  all(): Map<string, AppliedSnapshot>;
  get(siteId: string): AppliedSnapshot | undefined;
  onChanged(listener: () => void): void;
}

/** One request on its way through the admission stages. */
export interface Admission {
  req: IncomingMessage;
  facts: RequestFacts;
  resource: RoutedResource;
  /** Set by the authentication stage; null for a public resource. */
  caller: Caller | null;
  /** The client's country (ISO 3166), null when unknown; undefined until a stage asks (geoip countryOf). */
  country?: string | null;
  /** The signed identity assertion for the upstream (X-Rustronaut-Assertion), when there is a caller. */
  assertion?: string | undefined;
  /** Headers a stage wants on the response the client finally gets (e.g. a refreshed session cookie). */
  responseHeaders?: Record<string, string | string[]>;
  /** The request's access record: stages note what decided (e.g. the policy rule). */
  record: AdmissionRecord;
}

/**
 * A stage looks at a routed request and either lets it go on (undefined) or answers it (a Refusal:
 * an error page, a redirect to sign in, a challenge). Synchronous stages keep a public resource's
 * request in one tick; a stage that must wait (a token check, a shared rate limit) returns a promise.
 */
export type AdmissionStage = (admission: Admission) => Refusal | undefined | Promise<Refusal | undefined>;

/**
 * What the gateway itself knows about a request, before any rule looks at it: the client address
 * (the socket's, or — behind a trusted proxy only — the right-most untrusted X-Forwarded-For hop),
 * the scheme it arrived on (or a trusted proxy's X-Forwarded-Proto), the host and the path.
 */
export interface RequestFacts {
  ip: string;
  scheme: 'http' | 'https';
  /** Lower-case host without port or trailing dot. */
  host: string;
  /** The raw path as sent (no query). */
  rawPath: string;
  /** The canonical path rules and routes are matched against (decoded; see canonical-path.ts). */
  path: string;
  method: string;
  /**
   * The origin-form request-target the target receives: the canonical path, escaped, and the
   * query as sent. Decoding its path once gives `path`.
   */
  target: string;
  /** The Host the target receives: the absolute-form target's authority, else Host / :authority. */
  authority: string;
  /** Why the request is malformed (answered 400 before routing), or null. */
  malformed: string | null;
}

/** A resource of a site's snapshot, with the org and site it belongs to: what a request or connection is routed to. */
export type RoutedResource = SiteSnapshot['resources'][number] & { orgId: string; siteId: string };

/** What the data path answers instead of proxying: a status, a message, and sometimes headers (Location, Retry-After, Set-Cookie) or an HTML body. */
export interface Refusal {
  status: number;
  message: string;
  headers?: Record<string, string | string[]>;
  /** An HTML page (login form, challenge); otherwise a one-line plain-text page is sent. */
  html?: string;
  /** What refused, for the access log (firewall, rate_limit, authentication, policy, …). */
  by?: AccessDecider;
}

/** Who is asking, as the upstream and the policies see them. */
export interface Caller {
  id: string;
  email: string;
  role: Role;
  groups: string[];
  /** The console session the credential belongs to (for revocation), when known. */
  sessionId?: string;
  /** How they proved it; a PIN, password or share link admits without a user (no policy names them). */
  via?: CredentialKind;
  /**
   * A machine or service with a token of the resource's trusted issuer: `id` is its `sub`, and only
   * policies naming this issuer decide on it (never as a user, a group member or a role).
   */
  issuerId?: string;
}

export type CredentialKind = 'token' | 'sso' | 'pin' | 'password' | 'share_link';

/**
 * What the data path notes on a request's access record while it admits and forwards it (the
 * access log's AccessRecord is one): the decision, the rule that made it, the status.
 */
export interface AdmissionRecord {
  status: number;
  rule: DecidingRule | null;
  /** The request may go on to its target. */
  admit(caller: Caller | null): void;
  /** Refused: who refused, why, and who was asking (when known). */
  refuse(by: AccessDecider, reason: string, caller: Caller | null): void;
  /** Admitted, but the target (or the gateway) could not answer. */
  fail(by: 'target' | 'gateway', reason: string): void;
}

/** The policy rule that decided, as the policy engine names it. */
export interface DecidingRule {
  policyId: string;
  name: string;
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
