import 'reflect-metadata';
import { createHmac } from 'node:crypto';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { DeliverPolicy, headers, type ConsumerMessages, type KV, type NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { ConsoleConfig } from '@rustronaut/config';
import {
  eventsFilter,
  openSecret,
  platformRegistry,
  signSnapshot,
  SITE_CONFIG_BUCKET,
  siteConfigSubject,
  verifySnapshot,
} from '@rustronaut/contracts';
import { FoldSnapshots, eventStreamSettings } from '@rustronaut/eventstore';
import {
  HANDLER_LOGGER,
  messageHandlers,
  natsTransportOptions,
  connectNats,
  type HandlerLogger,
} from '@rustronaut/messaging';
import type { Logger } from '@rustronaut/observability';
import { loadOrCreateSigningKey, type ConfigSigningKey } from './config-signing-key';
import { SITE_CONFIG_FOLD_FORMAT, SiteConfigFold, type SiteConfigFoldState } from './site-config-fold';

const PUBLIC_KEYS = Symbol('PublicKeys');

type PublicKey = { id: string; publicKey: string };

/** The request takes no fields: whatever is sent, the answer is the same. */
const DistributorRequests = { 'distributor.keys': z.unknown() };

const DistributorController = messageHandlers(
  'DistributorController',
  DistributorRequests,
  [PUBLIC_KEYS],
  (keys: PublicKey[]) => ({
    /** The public keys that verify site snapshots (handed to gateways at enrolment). */
    'distributor.keys': () => ({ keys }),
  }),
);

@Module({})
class DistributorModule {
  static register(keys: PublicKey[], logger: HandlerLogger): DynamicModule {
    return {
      module: DistributorModule,
      controllers: [DistributorController],
      providers: [
        { provide: PUBLIC_KEYS, useValue: keys },
        { provide: HANDLER_LOGGER, useValue: logger },
      ],
    };
  }
}

/**
 * Reads every event in order (an ordered consumer from the first), folds them into per-site
 * config, and puts each changed site's signed snapshot in the RN_SITE_CONFIG bucket (latest value
 * per site) and on `rn.config.site.<id>` for the gateways; it answers `rn.config.get.<id>` with the
 * latest. After a restart it resumes from its stored fold state (written after catching up, every
 * 10,000 events and on stop) and republishes only snapshots whose revision moved; without a usable
 * one it replays from the first event.
 */
export async function startConfigDistributor(config: ConsoleConfig, logger: Logger) {
  const nc = await connectNats(config, 'config-distributor');
  const db = new DataSource({ type: 'postgres', url: config.databaseUrl, extra: { max: 2 } });
  await db.initialize();
  const { active, all } = await loadOrCreateSigningKey(db, config.schemas.distributor);
  const kv = await nc
    .jetstream()
    .views.kv(SITE_CONFIG_BUCKET, { history: 1, replicas: config.eventsReplicas });
  const published = await publishedRevisions(kv, Object.fromEntries(all.map((k) => [k.id, k.publicKey])));
  const stream = eventStreamSettings({ name: config.eventsStream });
  // The history to replay before publishing: everything up to the stream's last sequence now.
  const info = await (await nc.jetstreamManager()).streams.info(stream.name);
  const lastAtStart = info.state.last_seq;
  // Resume from the stored fold state when there is a good one, instead of replaying every event.
  const snapshots = new FoldSnapshots(db, config.schemas.distributor, {
    fold: 'site-config',
    formatVersion: SITE_CONFIG_FOLD_FORMAT,
    stream: `${stream.name}@${info.created}`,
  });
  const { fold, position: resumedAt } = await resumeFold(snapshots, lastAtStart, logger);
  let position = resumedAt;
  let savedAt = resumedAt;
  const save = async () => {
    if (position === savedAt) return;
    await snapshots.save(position, fold.toState());
    savedAt = position;
  };
  const consumer = await nc.jetstream().consumers.get(stream.name, {
    filterSubjects: eventsFilter(undefined, stream.subjectRoot),
    // (nats.js's ordered consumer delivers nothing with DeliverPolicy.All: give a start sequence)
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: resumedAt + 1,
  });
  let caughtUp = lastAtStart <= resumedAt;
  const dirty = new Set<string>();
  const publish = async (siteIds: Iterable<string>) => {
    for (const siteId of siteIds)
      await publishSite(nc, kv, fold, siteId, active, published, logger, config.secretsKey);
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
      position = message.seq;
      if (!caughtUp && (message.seq >= lastAtStart || message.info.pending === 0)) {
        caughtUp = true;
        logger.info({ sites: fold.siteIds().length, position: message.seq }, 'replayed the event history');
        await publish(fold.siteIds());
        dirty.clear();
        await save().catch((error: unknown) => logger.warn({ err: error }, 'could not store the fold state'));
      } else if (caughtUp) {
        await publish(dirty);
        dirty.clear();
      }
      if (caughtUp && position - savedAt >= SNAPSHOT_EVERY)
        await save().catch((error: unknown) => logger.warn({ err: error }, 'could not store the fold state'));
    }
  })();

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    DistributorModule.register(
      all.map((k) => ({ id: k.id, publicKey: k.publicKey })),
      logger,
    ),
    {
      transport: Transport.NATS,
      options: natsTransportOptions(config, 'distributor-rpc', 'config-distributor'),
      logger: ['error', 'warn'],
    },
  );
  await app.listen();
  logger.info({ keyId: active.id }, 'config distributor ready');
  return {
    async close() {
      await app.close();
      answers.unsubscribe();
      messages.stop();
      await loop;
      if (caughtUp) await save().catch(() => undefined);
      await db.destroy();
      await nc.drain();
    },
  };
}

/** How many events may pass between two stored fold states (a restart replays at most these). */
const SNAPSHOT_EVERY = 10_000;

/** The fold to start from: the stored state when it can be trusted, else an empty one (full replay). */
async function resumeFold(
  snapshots: FoldSnapshots,
  lastSequence: number,
  logger: Logger,
): Promise<{ fold: SiteConfigFold; position: number }> {
  await snapshots.ensureTable();
  const stored = await snapshots.load<SiteConfigFoldState>(lastSequence);
  if (stored && 'state' in stored) {
    try {
      const fold = SiteConfigFold.fromState(stored.state);
      logger.info(
        { position: stored.sequence, last: lastSequence },
        'resumed the fold from its stored state',
      );
      return { fold, position: stored.sequence };
    } catch (error) {
      logger.warn({ err: error }, 'the stored fold state does not load: replaying from the first event');
    }
  } else if (stored) {
    logger.info(
      { reason: stored.refused },
      'the stored fold state is not usable: replaying from the first event',
    );
  }
  return { fold: new SiteConfigFold(), position: 0 };
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
  secretsKey: Buffer | undefined,
): Promise<void> {
  const snapshot = fold.snapshot(siteId, new Date(), (sealed, boundTo) => {
    const opened = secretsKey && openSecret(secretsKey, sealed, boundTo);
    if (opened === undefined || opened === '')
      logger.warn(
        { siteId, issuer: boundTo },
        "a token issuer's HMAC key does not open with RN_SECRETS_KEY: its tokens are refused until the issuer is declared again",
      );
    return opened || undefined;
  });
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
