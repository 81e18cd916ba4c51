import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { GatewayConfig } from '@rustronaut/config';
import type { ControlPlane } from '../control/control-plane';
import type { ServedSite } from '../control/site-configs';
import { runtimeReport, type ServedStatus } from '../control/runtime-report';
import { Balancer, sharedHealthOf, type SharedTargetHealth } from '../data-path/upstream/balancer/balancer';
import { GatewayConnections } from '../data-path/upstream/balancer/gateway-connections';
import { SharedBuckets } from '../data-path/admission/limits/shared-buckets';
import { GatewayBuckets } from './gateway-buckets';
import {
  CertificateStore,
  type CertificateSource,
  type StoredCertificate,
} from '../data-path/tls/certificate-store';
import { storedCertificate } from '../data-path/tls/certificates';
import { Questions, reply, sender } from './ipc';
import { isOurs, type CertificatePem, type ToPrimary, type ToWorker } from './messages';

/** How long new workers have to listen before a start or a reload is given up. */
const READY_TIMEOUT_MS = 60_000;
/** A worker that dies on its own is replaced; more than this many times a minute stops the gateway. */
const MAX_RESTARTS_PER_MINUTE = 5;

interface Running {
  worker: Worker;
  id: number;
  generation: number;
  udp: boolean;
  ready: boolean;
  /** Told to drain (a reload or a stop): its exit is expected. */
  retiring: boolean;
  questions: Questions;
  send: (message: ToWorker) => boolean;
}

/**
 * The primary process of a gateway with several data-plane workers (RN_GATEWAY_WORKERS > 1). It
 * keeps the control plane (NATS, snapshots on disk, management API, ACME, the access log's
 * destination) and what must be one per gateway: the tunnel directory, the rate-limit buckets, the
 * active health checks, least connections' counts (it picks those targets for every worker), and
 * the development CA (made before any worker starts). Workers share its
 * listening sockets (node:cluster).
 *
 * SIGHUP reloads without refusing anything: a new generation of workers starts on the same
 * sockets, and only once every one of them listens are the old ones told to drain (stop accepting,
 * finish what is in flight). SIGTERM/SIGINT drain every worker, then stop the control plane.
 */
export async function runPrimary(
  control: ControlPlane,
  workerCount: number,
  /** The settings read anew for each generation (a reload); the primary's own when they no longer read. */
  settings: () => GatewayConfig = () => control.config,
): Promise<void> {
  const { config, logger, configs } = control;
  // JSON on the IPC channel: every message is plain data (strings, numbers, booleans, arrays, objects),
  // and 'advanced' (the V8 serializer, driven from JS) costs about half again as much per message —
  // least connections sends three a request.
  cluster.setupPrimary({ serialization: 'json' });
  const relayDir = mkdtempSync(join(tmpdir(), 'rn-gw-')); // mode 0700: only this user reaches the relays
  const running = new Map<number, Running>();
  const owners = new Map<string, number>();
  const health = new Map<string, SharedTargetHealth>();
  const buckets = new GatewayBuckets(
    config.sharedLimits
      ? new SharedBuckets(config.sharedLimits.redisUrl, config.sharedLimits.prefix)
      : undefined,
    logger.child({ component: 'rate-limits' }),
  );
  const challenges = new Map<string, string>();
  let generation = 0;
  let stopping = false;
  let reloading = false;
  const restarts: number[] = [];

  const everyone = (message: ToWorker, except?: number) => {
    for (const r of running.values()) if (r.id !== except) r.send(message);
  };
  const ownersRecord = () => Object.fromEntries(owners);

  // The active health checks, once per gateway; every worker is told each result.
  const checks = new Balancer(configs, {
    region: config.region,
    logger: logger.child({ component: 'health' }),
  });
  checks.health.onResult((state, changed) => {
    const shared = sharedHealthOf(state, changed && state.healthy ? 'back' : 'checked');
    health.set(state.id, { ...health.get(state.id), ...shared });
    everyone({ rn: 'health', targetId: state.id, health: shared });
    if (changed) control.runtimeChanged();
  });
  // Least connections counts the requests in flight on every worker: the primary picks for them.
  const connections = new GatewayConnections(checks);

  // ACME, once per gateway: challenges known to every worker before the CA validates; certificates to all.
  const acmePems = new Map<string, CertificatePem>();
  const acmeStore = new BroadcastingStore((domain, pem) => {
    if (pem) acmePems.set(domain, pem);
    else acmePems.delete(domain);
    everyone({ rn: 'certificate', domain, pem });
  });
  const acme = control.startAcme(acmeStore, async (token, keyAuthorization) => {
    if (keyAuthorization === undefined) challenges.delete(token);
    else challenges.set(token, keyAuthorization);
    await Promise.all(
      [...running.values()].map((r) =>
        r.questions.ask({ ask: 'challenge', token, keyAuthorization }, 5_000).catch(() => undefined),
      ),
    );
  });

  configs.onApplied((siteId) => everyone({ rn: 'snapshot', siteId }));
  let served = new Set(configs.all().keys());
  configs.onChanged(() => {
    const now = new Set(configs.all().keys());
    for (const siteId of served) if (!now.has(siteId)) everyone({ rn: 'withdraw', siteId });
    served = now;
  });

  const onMessage = (r: Running, message: ToPrimary) => {
    switch (message.rn) {
      case 'ready':
        r.ready = true;
        return void r.worker.emit('rn-ready');
      case 'tunnel':
        if (message.up) owners.set(message.key, r.id);
        else if (owners.get(message.key) === r.id) owners.delete(message.key);
        else return;
        control.runtimeChanged();
        return void everyone({ rn: 'owners', owners: ownersRecord() });
      case 'ejected':
        health.set(message.targetId, { ...health.get(message.targetId), ...message.health });
        checks.applyHealth(message.targetId, message.health);
        control.runtimeChanged();
        return void everyone({ rn: 'health', targetId: message.targetId, health: message.health }, r.id);
      case 'report': {
        const owner = running.get(owners.get(`res:${message.resourceId}`) ?? -1);
        return void owner?.send(message);
      }
      case 'inflight':
        for (const [targetId, delta] of message.counts) connections.count(r.id, targetId, delta);
        return;
      case 'reply':
        return r.questions.settle(message);
      case 'ask': {
        const send = r.send as (m: unknown) => boolean;
        if (message.ask === 'pick') {
          // This worker's counts since its last message come first: the pick sees them.
          for (const [targetId, delta] of message.counts ?? []) connections.count(r.id, targetId, delta);
          return reply(send, message.id, () => connections.pick(r.id, message.resourceId, message.excludeId));
        }
        if (message.ask === 'take')
          return reply(send, message.id, () => buckets.take(message.key, message.limit));
        if (message.ask === 'claim')
          return reply(send, message.id, async () => {
            owners.set(message.key, r.id);
            const record = ownersRecord();
            await Promise.all(
              [...running.values()].map((w) =>
                w.questions.ask({ ask: 'owners', owners: record }, 2_000).catch(() => undefined),
              ),
            );
          });
        if (message.ask === 'ship')
          return reply(send, message.id, async () => {
            if (!control.shipper) return;
            await control.shipper.ship(message.batch);
          });
        return;
      }
    }
  };

  const workerSettings = (): GatewayConfig => {
    try {
      return settings();
    } catch (error) {
      logger.error(
        { err: error },
        'the settings no longer read: new workers keep the ones the gateway started with; fix them and reload',
      );
      return config;
    }
  };

  const spawn = (udp: boolean): Running => {
    const worker = cluster.fork();
    const send = sender(worker.send.bind(worker), () => worker.isConnected()) as (
      message: ToWorker,
    ) => boolean;
    const r: Running = {
      worker,
      id: worker.id,
      generation,
      udp,
      ready: false,
      retiring: false,
      questions: new Questions(send as (m: unknown) => boolean),
      send,
    };
    running.set(r.id, r);
    worker.on('message', (message: unknown) => {
      if (isOurs(message)) onMessage(r, message as ToPrimary);
    });
    worker.once('online', () =>
      send({
        rn: 'init',
        config: workerSettings(),
        gatewayId: control.gatewayId,
        orgId: control.defaultOrg(),
        siteIds: [...configs.all().keys()],
        id: r.id,
        relayDir,
        udp,
        owners: ownersRecord(),
        health: [...health],
        certificates: [...acmePems.values()],
        challenges: [...challenges],
      }),
    );
    worker.once('exit', (code, signal) => {
      running.delete(r.id);
      r.questions.failAll('the worker stopped');
      connections.forget(r.id);
      let changed = false;
      for (const [key, owner] of owners)
        if (owner === r.id) {
          owners.delete(key);
          changed = true;
        }
      if (changed) everyone({ rn: 'owners', owners: ownersRecord() });
      if (stopping || r.retiring || !r.ready) return;
      logger.error(
        { worker: r.id, pid: worker.process.pid, code, signal },
        'a data-plane worker stopped; starting another',
      );
      const now = Date.now();
      restarts.push(now);
      while ((restarts[0] ?? now) < now - 60_000) restarts.shift();
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        logger.error('data-plane workers keep stopping: stopping the gateway');
        void stop('restarts');
        return;
      }
      const next = spawn(r.udp);
      next.generation = r.generation;
    });
    return r;
  };

  /** Resolves once every one of these workers listens; rejects if one stops first or time runs out. */
  const readyAll = (workers: Running[]) =>
    Promise.all(
      workers.map(
        (r) =>
          new Promise<void>((resolve, reject) => {
            if (r.ready) return resolve();
            const timer = setTimeout(
              () => reject(new Error(`worker ${r.id} did not listen within ${READY_TIMEOUT_MS / 1000} s`)),
              READY_TIMEOUT_MS,
            );
            r.worker.once('rn-ready', () => {
              clearTimeout(timer);
              resolve();
            });
            r.worker.once('exit', (code) => {
              clearTimeout(timer);
              reject(new Error(`worker ${r.id} stopped while starting (exit ${code})`));
            });
          }),
      ),
    );

  const startGeneration = () => Array.from({ length: workerCount }, (_, i) => spawn(i === 0));

  generation = 1;
  try {
    await readyAll(startGeneration());
  } catch (error) {
    for (const r of running.values()) r.worker.kill('SIGKILL');
    rmSync(relayDir, { recursive: true, force: true });
    throw new Error(`the data plane did not start: ${(error as Error).message}`);
  }

  // The console is told what the gateway serves: with each heartbeat, and soon after a change.
  const fileCertificates = certificatesFromFiles(config.tls.files);
  control.reportRuntime(async () => {
    const status = (await gatherStatus(running, checks)) as unknown as ServedStatus;
    return runtimeReport(status, [...acmeStore.served(), ...fileCertificates]);
  });
  const server = await control.serveManagement({
    dataPlane: () => gatherStatus(running, checks),
    metricsText: async () => {
      const parts = await Promise.all([
        control.metrics.registry.getMetricsAsJSON(),
        ...[...running.values()].map((r) =>
          r.questions.ask<Metrics>({ ask: 'metrics' }, 5_000).catch(() => [] as Metrics),
        ),
      ]);
      return AggregatorRegistry.aggregate(
        parts as Parameters<typeof AggregatorRegistry.aggregate>[0],
      ).metrics();
    },
  });
  logger.info(
    {
      http: `${config.http.host}:${config.http.port}`,
      https: `${config.https.host}:${config.https.port}`,
      localCa: control.localCa.certPath,
      gatewayId: control.gatewayId,
      sites: control.siteIds(),
      workers: workerCount,
      management: `http://${config.management.host}:${config.management.port}`,
    },
    'gateway started',
  );

  const reload = async () => {
    if (reloading || stopping) return;
    reloading = true;
    const old = [...running.values()].filter((r) => !r.retiring);
    generation++;
    logger.info({ generation, workers: workerCount }, 'reload: starting new workers on the same sockets');
    const fresh = startGeneration();
    try {
      await readyAll(fresh);
    } catch (error) {
      logger.error({ err: error }, 'reload failed: the new workers did not start; the old ones keep serving');
      for (const r of fresh) {
        r.retiring = true;
        r.worker.kill('SIGKILL');
      }
      generation--;
      reloading = false;
      return;
    }
    for (const r of old) {
      r.retiring = true;
      r.send({ rn: 'stop' });
    }
    logger.info({ generation, draining: old.length }, 'reload: new workers listen; the old ones drain');
    reloading = false;
  };

  let stoppingSince = 0;
  const stop = async (signal: string) => {
    // The same signal sent to the process and to its group (a terminal, `timeout`) arrives twice at once.
    if (stopping && Date.now() - stoppingSince < 1_000) return;
    if (stopping) {
      logger.warn({ signal }, 'second signal: stopping without waiting');
      for (const r of running.values()) r.worker.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    stoppingSince = Date.now();
    logger.info({ signal, drain_timeout_s: config.drainTimeoutSeconds }, 'stopping: every worker drains');
    for (const r of running.values()) {
      r.retiring = true;
      r.send({ rn: 'stop' });
    }
    const deadline = Date.now() + config.drainTimeoutSeconds * 1000 + 10_000;
    while (running.size > 0 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
    for (const r of running.values()) r.worker.kill('SIGKILL');
    server.close();
    checks.stop();
    buckets.close();
    acme?.stop();
    await control.stop();
    rmSync(relayDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGHUP', () => void reload());
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** /status of the whole gateway: every worker's tunnels and in-flight counts, the shared health. */
async function gatherStatus(
  running: Map<number, Running>,
  checks: Balancer,
): Promise<Record<string, unknown>> {
  const live = [...running.values()].filter((r) => r.ready && !r.retiring);
  const answers = await Promise.all(
    live.map((r) =>
      r.questions
        .ask<WorkerStatus>({ ask: 'status' }, 5_000)
        .then((status) => ({ r, status }))
        .catch(() => undefined),
    ),
  );
  const got = answers.filter((a): a is { r: Running; status: WorkerStatus } => a !== undefined);
  const inFlight = new Map<string, number>();
  for (const { status } of got)
    for (const resource of status.balancing)
      for (const target of resource.targets)
        inFlight.set(target.id, (inFlight.get(target.id) ?? 0) + target.in_flight);
  const balancing = checks.status().map((resource) => ({
    ...resource,
    targets: resource.targets.map((t) => ({ ...t, in_flight: inFlight.get(t.id) ?? 0 })),
  }));
  // A port is listening when every worker that serves it listens (UDP ports: the one worker).
  const listeners = new Map<string, WorkerStatus['listeners'][number]>();
  for (const { status } of got)
    for (const l of status.listeners) {
      const key = `${l.protocol}/${l.port}`;
      const seen = listeners.get(key);
      if (!seen || l.state !== 'listening')
        listeners.set(key, { ...l, active: (seen?.active ?? 0) + l.active });
      else seen.active += l.active;
    }
  // What every worker serves: a site's lowest revision among them (a worker still loading the newest).
  const sites = new Map<string, ServedSite>();
  for (const { status } of got)
    for (const site of status.sites) {
      const seen = sites.get(site.site_id);
      if (!seen || site.revision < seen.revision) sites.set(site.site_id, site);
    }
  const all = [...sites.values()];
  return {
    ...(got.length === live.length && live.length > 0
      ? { sites: all, snapshot_revision: Math.max(0, ...all.map((s) => s.revision)) }
      : {}),
    balancing,
    listeners: [...listeners.values()],
    tunnels: got.flatMap(({ status }) => status.tunnels),
    workers: got.map(({ r, status }) => ({
      id: r.id,
      pid: r.worker.process.pid,
      generation: r.generation,
      udp: r.udp,
      rss_bytes: status.rss_bytes,
    })),
  };
}

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

interface WorkerStatus {
  sites: ServedSite[];
  balancing: ReturnType<Balancer['status']>;
  listeners: { protocol: string; port: number; state: string; active: number }[];
  tunnels: Record<string, unknown>[];
  rss_bytes: number;
}

/** The ACME certificates' store in the primary: each change is told to every worker. */
class BroadcastingStore extends CertificateStore {
  constructor(private readonly tell: (domain: string, pem: CertificatePem | undefined) => void) {
    super();
  }

  override put(certificate: StoredCertificate): void {
    super.put(certificate);
    if (certificate.source !== 'acme') return;
    for (const domain of certificate.names) this.tell(domain, { domain, ...certificate.pem });
  }

  override remove(name: string, source: CertificateSource): void {
    super.remove(name, source);
    if (source === 'acme') this.tell(name, undefined);
  }
}

/** The certificate of RN_GATEWAY_TLS_CERT/KEY, as the workers serve it (they refuse to start without a valid one). */
function certificatesFromFiles(files: { cert: string; key: string } | undefined): StoredCertificate[] {
  try {
    return files ? [storedCertificate(files.cert, files.key, 'file')] : [];
  } catch {
    return [];
  }
}
