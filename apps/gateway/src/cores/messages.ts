import type { GatewayConfig } from '@rustronaut/config';
import type { RequestReport } from '@rustronaut/tunnel';
import type { AccessBatch } from '../access-log/access-log';
import type { SharedTargetHealth } from '../data-path/upstream/balancer/balancer';
import type { BucketLimit } from '../data-path/admission/limits/token-buckets';

/**
 * The messages between the gateway's primary process (the control plane) and its data-plane
 * workers, on the cluster's IPC channel. Every one carries `rn`, its name; `ask` expects a `reply`
 * with the same `id`. Both ends are always the same build (the primary forks its own entry point).
 */
export interface WorkerInit {
  rn: 'init';
  /** The gateway's settings, as the primary read and checked them (the worker does not parse its own). */
  config: GatewayConfig;
  gatewayId: string;
  /** The org of records that matched no resource (the gateway's own, when enrolled). */
  orgId: string | undefined;
  siteIds: string[];
  /** This worker's number (stable for its life; relay socket `<relayDir>/<n>.sock`). */
  id: number;
  /** A directory only this gateway's user can open, holding each worker's relay socket. */
  relayDir: string;
  /** Whether this worker serves the UDP ports (one per generation does). */
  udp: boolean;
  /** What the primary knows now, so a new worker starts with it. */
  owners: Record<string, number>;
  health: [string, SharedTargetHealth][];
  certificates: CertificatePem[];
  challenges: [string, string][];
}

export interface CertificatePem {
  domain: string;
  cert: string;
  key: string;
}

export type ToWorker =
  | WorkerInit
  | { rn: 'snapshot'; siteId: string }
  | { rn: 'withdraw'; siteId: string }
  | { rn: 'owners'; owners: Record<string, number> }
  | { rn: 'health'; targetId: string; health: SharedTargetHealth }
  | { rn: 'certificate'; domain: string; pem: CertificatePem | undefined }
  | { rn: 'report'; resourceId: string; report: Omit<RequestReport, 'service'> }
  | { rn: 'stop' }
  | Ask<'status'>
  | Ask<'metrics'>
  | (Ask<'owners'> & { owners: Record<string, number> })
  | (Ask<'challenge'> & { token: string; keyAuthorization: string | undefined })
  | Reply;

export type ToPrimary =
  | { rn: 'ready' }
  | { rn: 'tunnel'; key: string; up: boolean }
  | { rn: 'ejected'; targetId: string; health: SharedTargetHealth }
  | { rn: 'report'; resourceId: string; report: Omit<RequestReport, 'service'> }
  | (Ask<'ship'> & { batch: AccessBatch })
  | (Ask<'take'> & { key: string; limit: BucketLimit })
  | (Ask<'pick'> & { resourceId: string; excludeId: string | undefined; counts?: InflightCount[] })
  | { rn: 'inflight'; counts: InflightCount[] }
  | (Ask<'claim'> & { key: string })
  | Reply;

/**
 * A least-connections count a worker tells the primary (a request started without a pick: +1; a
 * counted one ended or a pick went unused: -1), in the order they happened.
 */
export type InflightCount = [targetId: string, delta: 1 | -1];

export interface Ask<Name extends string> {
  rn: 'ask';
  ask: Name;
  id: number;
}

export interface Reply {
  rn: 'reply';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** Whether an IPC message is one of ours (the channel also carries Node's and prom-client's). */
export function isOurs(message: unknown): message is { rn: string } {
  return (
    typeof message === 'object' && message !== null && typeof (message as { rn?: unknown }).rn === 'string'
  );
}
