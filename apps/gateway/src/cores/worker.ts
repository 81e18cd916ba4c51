import { resolve } from 'node:path';
import { connect, jwtAuthenticator, type NatsConnection } from 'nats';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayConfig } from '@rustronaut/config';
import { createLogger, type Logger } from '@rustronaut/observability';
import type { AccessBatch } from '../access-log/access-log';
import { AccessMetrics } from '../access-log/access-metrics';
import { NatsAccessShipper } from '../access-log/shippers';
import { readIdentity } from '../control/enrollment';
import { loadConfigKeys } from '../control/config-keys';
import { SiteConfigs, servedSites, soleOrg } from '../control/site-configs';
import { SnapshotFiles } from '../control/snapshot-file';
import { startDataPlane, type DataPlane } from '../data-path/data-plane';
import { AssertionKey } from '../data-path/admission/auth/identity-assertion';
import { sharedHealthOf } from '../data-path/upstream/balancer/balancer';
import { registerBalancerMetrics } from '../data-path/upstream/balancer/balancer-metrics';
import type { BucketStore } from '../data-path/admission/limits/shared-buckets';
import type { BucketLimit } from '../data-path/admission/limits/token-buckets';
import { storedCertificate } from '../data-path/tls/certificates';
import { LocalCa } from '../data-path/tls/local-ca';
import { Questions, reply, sender } from './ipc';
import { isOurs, type InflightCount, type ToPrimary, type ToWorker, type WorkerInit } from './messages';
import { TunnelRelay } from './tunnel-relay';

/** How long a worker waits for the primary to take a token (Redis may take 2 s to first answer); then it counts alone, and says so. */
const TAKE_TIMEOUT_MS = 3_000;
/** How long a worker waits for the primary to pick a least-connections target; then it picks on its own count. */
const PICK_TIMEOUT_MS = 1_000;
/** How long a new tunnel's welcome waits for every worker to know where it is. */
const CLAIM_TIMEOUT_MS = 3_000;
/** How long a batch of access records may wait for the primary to store it (then it is retried). */
const SHIP_TIMEOUT_MS = 10_000;

/**
 * A data-plane worker of a gateway with several (RN_GATEWAY_WORKERS): the same data path as a
 * one-process gateway, on the listening sockets the primary shares, from the snapshots on disk the
 * primary verified and wrote (it says when one changes). What must be one per gateway goes through
 * the primary: access records (shipped once, by it), rate-limit tokens (one bucket per key),
 * least-connections picks (by the gateway-wide count), the tunnel directory, health check results
 * and ejections, ACME challenges and certificates.
 */
export async function runWorker(): Promise<void> {
  const send = sender(process.send?.bind(process), () => process.connected) as (
    message: ToPrimary,
  ) => boolean;
  const questions = new Questions(send as (message: unknown) => boolean);
  const early: ToWorker[] = [];
  let handle: ((message: ToWorker) => void) | undefined;
  process.on('message', (message: unknown) => {
    if (!isOurs(message)) return;
    const ours = message as ToWorker;
    if (ours.rn === 'reply') return questions.settle(ours);
    if (handle) handle(ours);
    else early.push(ours);
  });
  process.on('disconnect', () => {
    // The primary is gone: nobody ships, counts or coordinates any more; stop now.
    questions.failAll('the primary is gone');
    process.exit(1);
  });
  const init = await new Promise<WorkerInit>((done) => {
    handle = (message) => {
      if (message.rn === 'init') done(message);
      else early.push(message);
    };
  });
  handle = undefined;
  const config: GatewayConfig = init.config;
  const logger = createLogger('gateway', config.logLevel).child({ worker: init.id });
  const dataDir = resolve(config.dataDir);
  const keys = await loadConfigKeys(dataDir, config.consoleUrl);
  const configs = new SiteConfigs(keys, new SnapshotFiles(dataDir), logger);
  for (const siteId of init.siteIds) await configs.loadFromDisk(siteId);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rustronaut_gateway_' });
  const access = new AccessMetrics(registry);
  const relay = new TunnelRelay(
    init.relayDir,
    init.id,
    (message) => send(message),
    logger,
    // A claim the primary does not confirm in time still admits the tunnel; the announcement follows.
    (key) => questions.ask<void>({ ask: 'claim', key }, CLAIM_TIMEOUT_MS).catch(() => undefined),
  );
  // One bucket per key for the whole gateway: the primary counts (in Redis when configured).
  const buckets: BucketStore = {
    take: (key: string, limit: BucketLimit) =>
      questions.ask<number>({ ask: 'take', key, limit }, TAKE_TIMEOUT_MS),
    close: () => undefined,
  };
  // Access records go to NATS from each worker on its own connection (the gateway's credentials):
  // each batch once, without a second hop through the primary.
  const nats = await accessConnection(config, dataDir, init, logger);
  const dataPlane = await startDataPlane({
    config,
    logger,
    configs,
    access,
    shipper:
      config.accessLog.destination === 'off'
        ? undefined
        : config.accessLog.destination === 'nats'
          ? new NatsAccessShipper(init.gatewayId, () => nats.connection)
          : // One writer for a file or stdout: the primary.
            { ship: (batch: AccessBatch) => questions.ask<void>({ ask: 'ship', batch }, SHIP_TIMEOUT_MS) },
    defaultOrg: () => init.orgId ?? soleOrg(configs),
    assertions: await AssertionKey.load(dataDir, init.gatewayId),
    localCa: await LocalCa.open(dataDir),
    buckets,
    remoteTunnels: relay,
    healthChecks: false,
    udp: init.udp,
  });
  registerBalancerMetrics(registry, dataPlane.balancer);
  // Least connections counts every worker's requests: the primary picks, each end is reported.
  // The counts of one turn of the event loop go in one message, sent at its end (setImmediate), or
  // with a pick asked in the same turn (the primary applies them before it picks).
  let counts: InflightCount[] = [];
  const takeCounts = () => {
    const taken = counts;
    counts = [];
    return taken;
  };
  const inflight = (targetId: string, delta: 1 | -1) => {
    if (counts.push([targetId, delta]) === 1)
      setImmediate(() => counts.length > 0 && send({ rn: 'inflight', counts: takeCounts() }));
  };
  dataPlane.balancer.countLeastConnectionsWith({
    pick: (resourceId, excludeId) =>
      questions.ask<string | null | undefined>(
        { ask: 'pick', resourceId, excludeId, ...(counts.length > 0 ? { counts: takeCounts() } : {}) },
        PICK_TIMEOUT_MS,
        // Counted by a primary that answered too late: this worker picked on its own meanwhile.
        (id) => typeof id === 'string' && inflight(id, -1),
      ),
    count: inflight,
  });
  await relay.listen(dataPlane.tunnels);
  const challenges = new Map(init.challenges);
  if (config.tls.acme) dataPlane.httpProxy.answerAcmeChallenges((token) => challenges.get(token));
  dataPlane.balancer.onEjected((target) =>
    send({ rn: 'ejected', targetId: target.id, health: sharedHealthOf(target, 'ejected') }),
  );
  const apply = applier(dataPlane, configs, relay, challenges, registry, send, () => void stop());
  for (const [targetId, health] of init.health) dataPlane.balancer.applyHealth(targetId, health);
  for (const pem of init.certificates) apply({ rn: 'certificate', domain: pem.domain, pem });
  apply({ rn: 'owners', owners: init.owners });
  for (const message of early.splice(0)) apply(message);
  handle = apply;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    relay.close();
    await dataPlane.drain();
    await nats.close();
    process.exit(0);
  };
  // A signal to the whole group (a terminal's Ctrl-C, systemd's stop): this worker drains too.
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  send({ rn: 'ready' });
}

/** The worker's own NATS connection for access records (none unless they go to NATS). */
async function accessConnection(
  config: GatewayConfig,
  dataDir: string,
  init: WorkerInit,
  logger: Logger,
): Promise<{ connection: NatsConnection | undefined; close(): Promise<void> }> {
  const held: { connection: NatsConnection | undefined; close(): Promise<void> } = {
    connection: undefined,
    close: async () => {
      await held.connection?.close().catch(() => undefined);
    },
  };
  if (config.accessLog.destination !== 'nats') return held;
  const identity = await readIdentity(dataDir);
  const credentials =
    identity?.natsJwt && identity.natsSeed ? { jwt: identity.natsJwt, seed: identity.natsSeed } : undefined;
  // Connected in the background: records wait in the access log's queue meanwhile, as in one process.
  void connect({
    servers: config.natsServers,
    name: `${init.gatewayId}-worker-${init.id}`,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    inboxPrefix: `_INBOX_${init.gatewayId}`,
    ...(credentials
      ? { authenticator: jwtAuthenticator(credentials.jwt, new TextEncoder().encode(credentials.seed)) }
      : {}),
  }).then(
    (nc) => (held.connection = nc),
    (error: unknown) => logger.warn({ err: error }, 'access log: cannot connect to NATS'),
  );
  return held;
}

/** What a worker does with each message of the primary. */
function applier(
  dataPlane: DataPlane,
  configs: SiteConfigs,
  relay: TunnelRelay,
  challenges: Map<string, string>,
  registry: Registry,
  send: (message: ToPrimary) => boolean,
  stop: () => void,
) {
  const answer = (id: number, value: () => unknown) => reply(send as (m: unknown) => boolean, id, value);
  return (message: ToWorker): void => {
    switch (message.rn) {
      case 'snapshot':
        return void configs.loadFromDisk(message.siteId);
      case 'withdraw':
        return configs.withdraw(message.siteId);
      case 'owners':
        return relay.setOwners(message.owners, dataPlane.tunnels);
      case 'health':
        return dataPlane.balancer.applyHealth(message.targetId, message.health);
      case 'certificate': {
        const store = dataPlane.certificates.store;
        if (!message.pem) return store.remove(message.domain, 'acme');
        return store.put(storedCertificate(message.pem.cert, message.pem.key, 'acme', [message.domain]));
      }
      case 'report':
        return dataPlane.tunnels.report(message.resourceId, message.report);
      case 'stop':
        return stop();
      case 'ask':
        if (message.ask === 'owners')
          return answer(message.id, () => relay.setOwners(message.owners, dataPlane.tunnels));
        if (message.ask === 'status')
          return answer(message.id, () => ({
            ...dataPlane.status(),
            ...servedSites(configs),
            rss_bytes: process.memoryUsage.rss(),
          }));
        if (message.ask === 'metrics') return answer(message.id, () => registry.getMetricsAsJSON());
        if (message.ask === 'challenge')
          return answer(message.id, () => {
            if (message.keyAuthorization === undefined) challenges.delete(message.token);
            else challenges.set(message.token, message.keyAuthorization);
          });
        return;
      case 'init':
      case 'reply':
        return;
    }
  };
}
