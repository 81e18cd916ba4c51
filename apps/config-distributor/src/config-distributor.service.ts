import 'reflect-metadata';
import { createHmac } from 'node:crypto';
import { Controller, Inject, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { DeliverPolicy, headers, type ConsumerMessages, type KV, type NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import type { ConsoleConfig } from '@rustronaut/config';
import {
  eventsFilter,
  platformRegistry,
  signSnapshot,
  SITE_CONFIG_BUCKET,
  siteConfigSubject,
  verifySnapshot,
} from '@rustronaut/contracts';
import { eventStreamSettings } from '@rustronaut/eventstore';
import { ServiceHandlerInterceptor, natsTransportOptions, connectNats } from '@rustronaut/messaging';
import type { Logger } from '@rustronaut/observability';
import { loadOrCreateSigningKey, type ConfigSigningKey } from './config-signing-key';
import { SiteConfigFold } from './site-config-fold';

const PUBLIC_KEYS = Symbol('PublicKeys');

@Controller()
class DistributorController {
  constructor(@Inject(PUBLIC_KEYS) private readonly keys: { id: string; publicKey: string }[]) {}

  /** The public keys that verify site snapshots (handed to gateways at enrolment). */
  @MessagePattern('distributor.keys')
  publicKeys() {
    return { keys: this.keys };
  }
}

@Module({})
class DistributorModule {
  static register(keys: { id: string; publicKey: string }[]): DynamicModule {
    return {
      module: DistributorModule,
      controllers: [DistributorController],
      providers: [{ provide: PUBLIC_KEYS, useValue: keys }],
    };
  }
}

/**
 * Reads every event in order (an ordered consumer from the first), folds them into per-site
 * config, and puts each changed site's signed snapshot in the RN_SITE_CONFIG bucket (latest value
 * per site) and on `rn.config.site.<id>` for the gateways; it answers `rn.config.get.<id>` with the
 * latest. After a restart it replays and republishes only snapshots whose revision moved.
 */
export async function startConfigDistributor(config: ConsoleConfig, logger: Logger) {
  const nc = await connectNats(config, 'config-distributor');
  const db = new DataSource({ type: 'postgres', url: config.databaseUrl, extra: { max: 2 } });
  await db.initialize();
  const { active, all } = await loadOrCreateSigningKey(db, config.schemas.distributor);
  await db.destroy();
  const kv = await nc
    .jetstream()
    .views.kv(SITE_CONFIG_BUCKET, { history: 1, replicas: config.eventsReplicas });
  const fold = new SiteConfigFold();
  const published = await publishedRevisions(kv, Object.fromEntries(all.map((k) => [k.id, k.publicKey])));
  const stream = eventStreamSettings({ name: config.eventsStream });
  const consumer = await nc.jetstream().consumers.get(stream.name, {
    filterSubjects: eventsFilter(undefined, stream.subjectRoot),
    // (nats.js's ordered consumer delivers nothing with DeliverPolicy.All: start at sequence 1)
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: 1,
  });
  // The history to replay before publishing: everything up to the stream's last sequence now.
  const lastAtStart = (await (await nc.jetstreamManager()).streams.info(stream.name)).state.last_seq;
  let caughtUp = lastAtStart === 0;
  const dirty = new Set<string>();
  const publish = async (siteIds: Iterable<string>) => {
    for (const siteId of siteIds) await publishSite(nc, kv, fold, siteId, active, published, logger);
  };
  // Gateways ask for their sites' current snapshot (on start and after every reconnect).
  const answers = nc.subscribe('rn.config.get.*', { queue: 'config-distributor' });
  void (async () => {
    for await (const request of answers) {
      const siteId = request.subject.split('.').pop() ?? '';
      const entry = await kv.get(siteId).catch(() => null);
      request.respond(entry && entry.operation === 'PUT' ? entry.value : new Uint8Array());
    }
  })();
  if (caughtUp) await publish(fold.siteIds());
  const messages: ConsumerMessages = await consumer.consume();
  const loop = (async () => {
    for await (const message of messages) {
      for (const raw of JSON.parse(message.string()).events as unknown[]) {
        const type = (raw as { type?: string }).type;
        if (!type || !platformRegistry.has(type)) continue;
        for (const siteId of fold.apply(platformRegistry.read(raw), message.seq)) dirty.add(siteId);
      }
      if (!caughtUp && (message.seq >= lastAtStart || message.info.pending === 0)) {
        caughtUp = true;
        logger.info({ sites: fold.siteIds().length, position: message.seq }, 'replayed the event history');
        await publish(fold.siteIds());
        dirty.clear();
      } else if (caughtUp) {
        await publish(dirty);
        dirty.clear();
      }
    }
  })();

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    DistributorModule.register(all.map((k) => ({ id: k.id, publicKey: k.publicKey }))),
    {
      transport: Transport.NATS,
      options: natsTransportOptions(config, 'distributor-rpc', 'config-distributor'),
      logger: ['error', 'warn'],
    },
  );
  app.useGlobalInterceptors(new ServiceHandlerInterceptor(logger));
  await app.listen();
  logger.info({ keyId: active.id }, 'config distributor ready');
  return {
    async close() {
      await app.close();
      answers.unsubscribe();
      messages.stop();
      await loop;
      await nc.drain();
    },
  };
}

/** The revision of every snapshot already in the bucket (to skip republishing what did not move). */
async function publishedRevisions(kv: KV, publicKeys: Record<string, string>): Promise<Map<string, number>> {
  const revisions = new Map<string, number>();
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') continue;
    const verified = verifySnapshot(entry.json(), publicKeys, key);
    if (verified.ok) revisions.set(key, verified.snapshot.revision);
  }
  return revisions;
}

/**
 * The secret a site's gateways sign resource session cookies with: derived from the config signing
 * key and the site id, so it is stable across restarts, differs per site, and changes with the key.
 */
function siteSessionSecret(key: ConfigSigningKey, siteId: string): string {
  return createHmac('sha256', key.privateKey).update(`rn-site-session:${siteId}`).digest('base64url');
}

async function publishSite(
  nc: NatsConnection,
  kv: KV,
  fold: SiteConfigFold,
  siteId: string,
  key: ConfigSigningKey,
  published: Map<string, number>,
  logger: Logger,
): Promise<void> {
  const snapshot = fold.snapshot(siteId, new Date());
  if (!snapshot) {
    if (published.has(siteId)) {
      await kv.delete(siteId);
      const withdrawn = headers();
      withdrawn.set('Rn-Withdrawn', 'true');
      nc.publish(siteConfigSubject(siteId), new Uint8Array(), { headers: withdrawn });
      published.delete(siteId);
      logger.info({ siteId }, 'site deleted: its config was withdrawn');
    }
    return;
  }
  if (published.get(siteId) === snapshot.revision) return;
  snapshot.sessionSecret = siteSessionSecret(key, siteId);
  const signed = JSON.stringify(signSnapshot(snapshot, { id: key.id, privateKey: key.privateKey }));
  await kv.put(siteId, signed);
  nc.publish(siteConfigSubject(siteId), signed);
  published.set(siteId, snapshot.revision);
  logger.info(
    { siteId, revision: snapshot.revision, resources: snapshot.resources.length },
    'published site config',
  );
}
