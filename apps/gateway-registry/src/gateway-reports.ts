import { createPublicKey, verify } from 'node:crypto';
import type { NatsConnection } from 'nats';
import {
  GatewayReportSchema,
  SYSTEM_ACTOR,
  gatewayRuntimeSubject,
  type GatewayRuntime,
  type PlatformEventDefinition,
} from '@rustronaut/contracts';
import { retryOnConflict, type EventStore } from '@rustronaut/eventstore';
import type { Logger } from '@rustronaut/observability';
import type { GatewayQueries } from './gateway.queries';

/**
 * Listens to gateways' reports (heartbeats, applied revisions), each signed with the gateway's own
 * key; a report that does not verify, or from a deleted gateway, is dropped.
 */
export function listenToReports(nc: NatsConnection, queries: GatewayQueries, logger: Logger): () => void {
  const subscription = nc.subscribe('rn.gateway.*.report', { queue: 'gateway-registry' });
  void (async () => {
    for await (const message of subscription) {
      try {
        const { report, signature } = message.json<{ report: unknown; signature: string }>();
        const parsed = GatewayReportSchema.safeParse(report);
        if (!parsed.success) continue;
        const gateway = await queries.publicKeyOf(parsed.data.gatewayId);
        if (!gateway?.publicKey || gateway.deleted) continue;
        const valid = verify(
          null,
          Buffer.from(JSON.stringify(report)),
          createPublicKey(gateway.publicKey),
          Buffer.from(signature, 'base64'),
        );
        if (!valid) {
          logger.warn({ gatewayId: parsed.data.gatewayId }, 'dropped a report with a bad signature');
          continue;
        }
        const kept = await queries.recordReport(parsed.data.gatewayId, parsed.data);
        if (kept && parsed.data.runtime && runtimeChanged(kept.previous, parsed.data.runtime))
          nc.publish(
            gatewayRuntimeSubject(kept.orgId),
            JSON.stringify({ gatewayId: parsed.data.gatewayId, at: parsed.data.at }),
          );
      } catch (error) {
        logger.warn({ err: error }, 'dropped a malformed gateway report');
      }
    }
  })();
  return () => subscription.unsubscribe();
}

/**
 * Whether a gateway's runtime changed in a way a person notices: a target's state, a tunnel
 * connected or gone, a certificate added, renewed or dropped (a health check's time alone is not).
 */
export function runtimeChanged(previous: GatewayRuntime | null, next: GatewayRuntime): boolean {
  const seen = (r: GatewayRuntime) =>
    JSON.stringify([
      r.targets.map((t) => [t.resourceId, t.targetId, t.state]),
      r.tunnels.map((t) => [t.resourceId ?? null, t.siteId ?? null]),
      r.certificates.map((c) => [c.names, c.source, c.notAfter]),
    ]);
  return previous === null || seen(previous) !== seen(next);
}

/** Marks gateways unhealthy after 3 missed heartbeats, healthy again when one arrives; each change is an event. */
export function monitorHealth(
  store: EventStore<PlatformEventDefinition>,
  queries: GatewayQueries,
  intervalSeconds: number,
  logger: Logger,
): () => void {
  const timer = setInterval(
    () => {
      void (async () => {
        const now = Date.now();
        for (const gateway of await queries.liveness()) {
          const window = 3 * intervalSeconds * 1000;
          const seen = gateway.lastHeartbeatAt?.getTime();
          const since = seen ?? gateway.enrolledAt?.getTime() ?? now;
          const status =
            seen !== undefined && now - seen <= window
              ? 'healthy'
              : now - since > window
                ? 'unhealthy'
                : gateway.status;
          if (status === gateway.status || status === 'pending') continue;
          await retryOnConflict(undefined, async () => {
            const loaded = await store.load({ type: 'gateway', id: gateway.id });
            await store.append(
              { type: 'gateway', id: gateway.id },
              loaded.version,
              [
                {
                  type: 'GatewayStatusChanged',
                  data: { status, lastHeartbeatAt: gateway.lastHeartbeatAt?.toISOString() ?? null },
                },
              ],
              {
                commandId: `${gateway.id}:status:${loaded.version}`,
                orgId: gateway.orgId,
                actor: SYSTEM_ACTOR,
              },
            );
          });
          logger.warn({ gatewayId: gateway.id, status }, 'gateway health changed');
        }
      })().catch((error: unknown) => logger.error({ err: error }, 'health check failed'));
    },
    Math.max(200, (intervalSeconds * 1000) / 2),
  );
  return () => clearInterval(timer);
}
