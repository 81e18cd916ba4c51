import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type JetStreamManager,
  type StreamInfo,
} from 'nats';
import { EVENTS_STREAM_NAME, EVENTS_SUBJECT_ROOT } from '@rustronaut/contracts';
import { EventStoreError, EventStoreErrorCode } from './errors';
import { existingStream, natsApiErrorCode, ownsSubjects } from './nats-errors';

export interface EventStreamOptions {
  /** Stream name; `RN_EVENTS` by default. Tests use a unique one. */
  name?: string;
  /** Subject root; `rn.events` by default. Two streams may not share subjects, so tests use their own. */
  subjectRoot?: string;
  /** Copies kept in a NATS cluster (1, 3 or 5). */
  replicas?: number;
  /** How long a command id is remembered for de-duplication by NATS itself. */
  duplicateWindowMs?: number;
}

export interface EventStreamSettings {
  name: string;
  subjectRoot: string;
}

export function eventStreamSettings(options: EventStreamOptions = {}): EventStreamSettings {
  return {
    name: options.name ?? EVENTS_STREAM_NAME,
    subjectRoot: options.subjectRoot ?? EVENTS_SUBJECT_ROOT,
  };
}

const SUBJECTS_OVERLAP = 10065;

/**
 * Creates the events stream if it is missing, or checks that the existing one is usable:
 * file storage, the expected subjects, no deletes or purges (events are facts, kept forever).
 * A replica count that differs is updated in place.
 */
export async function ensureEventStream(
  jsm: JetStreamManager,
  options: EventStreamOptions = {},
): Promise<StreamInfo> {
  const { name, subjectRoot } = eventStreamSettings(options);
  const subjects = [`${subjectRoot}.>`];
  const replicas = options.replicas ?? 1;
  const existing = await existingStream(jsm, name);
  if (!existing) {
    try {
      return await jsm.streams.add({
        name,
        subjects,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_msgs: -1,
        max_bytes: -1,
        max_age: 0,
        num_replicas: replicas,
        duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
        deny_delete: true,
        deny_purge: true,
        allow_direct: true,
      });
    } catch (error) {
      if (natsApiErrorCode(error) === SUBJECTS_OVERLAP) {
        throw new EventStreamMisconfigured(
          `another stream already captures ${subjects[0]}: remove it or choose another RN_EVENTS_STREAM subject root`,
          error,
        );
      }
      throw error;
    }
  }
  const config = existing.config;
  if (config.storage !== StorageType.File) {
    throw new EventStreamMisconfigured(
      `stream ${name} uses ${config.storage} storage; events need file storage`,
    );
  }
  if (!ownsSubjects(existing, subjects)) {
    throw new EventStreamMisconfigured(
      `stream ${name} captures ${JSON.stringify(config.subjects)}, not ${subjects[0]}: it belongs to something else`,
    );
  }
  if (config.max_age > 0 || config.max_msgs > 0 || config.max_bytes > 0) {
    throw new EventStreamMisconfigured(`stream ${name} has limits that would delete events; remove them`);
  }
  if (config.num_replicas !== replicas || !config.allow_direct) {
    return jsm.streams.update(name, { ...config, num_replicas: replicas, allow_direct: true });
  }
  return existing;
}

class EventStreamMisconfigured extends EventStoreError {
  constructor(message: string, cause?: unknown) {
    super(EventStoreErrorCode.StreamMisconfigured, message, { cause });
  }
}
