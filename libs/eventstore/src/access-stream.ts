import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type JetStreamManager,
  type StreamInfo,
} from 'nats';
import { ACCESS_STREAM_NAME, ACCESS_SUBJECT_ROOT } from '@rustronaut/contracts';
import { EventStoreError, EventStoreErrorCode } from './errors';
import { existingStream, ownsSubjects } from './nats-errors';

export interface AccessStreamOptions {
  /** `RN_ACCESS` by default; tests use their own. */
  name?: string;
  subjectRoot?: string;
  replicas?: number;
  /** Records older than this leave the stream (a consumer down for longer loses them). Default 7 days. */
  maxAgeMs?: number;
  /** The stream's size cap; the oldest records go first. Default 1 GiB. */
  maxBytes?: number;
}

const DAY_MS = 86_400_000;

/**
 * The gateways' access records on their way to the console: a limits-based stream on
 * `rn.access.>` (by age and size, the oldest dropped first), de-duplicated by batch id for two
 * minutes so a gateway's retried batch is stored once. Created if missing; its limits follow the
 * options; a stream of that name on other subjects is refused.
 */
export async function ensureAccessStream(
  jsm: JetStreamManager,
  options: AccessStreamOptions = {},
): Promise<StreamInfo> {
  const name = options.name ?? ACCESS_STREAM_NAME;
  const subjects = [`${options.subjectRoot ?? ACCESS_SUBJECT_ROOT}.>`];
  const wanted = {
    max_age: nanos(options.maxAgeMs ?? 7 * DAY_MS),
    max_bytes: options.maxBytes ?? 1024 ** 3,
    num_replicas: options.replicas ?? 1,
  };
  const existing = await existingStream(jsm, name);
  if (!existing) {
    return jsm.streams.add({
      name,
      subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs: -1,
      duplicate_window: nanos(120_000),
      ...wanted,
    });
  }
  const config = existing.config;
  if (!ownsSubjects(existing, subjects)) {
    throw new EventStoreError(
      EventStoreErrorCode.StreamMisconfigured,
      `stream ${name} captures ${JSON.stringify(config.subjects)}, not ${subjects[0]}: it belongs to something else`,
    );
  }
  if (
    config.max_age !== wanted.max_age ||
    config.max_bytes !== wanted.max_bytes ||
    config.num_replicas !== wanted.num_replicas
  ) {
    return jsm.streams.update(name, { ...config, ...wanted });
  }
  return existing;
}
