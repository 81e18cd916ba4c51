import type { EventEnvelope } from '@rustronaut/contracts';

/**
 * One NATS message is one commit: the ordered events one command produced for one aggregate.
 * A commit is stored whole or not at all, and the aggregate's version is the stream sequence
 * of its last commit.
 */
export interface CommitBody {
  events: EventEnvelope[];
}

export const COMMIT_HEADERS = {
  commandId: 'Rn-Command-Id',
  eventTypes: 'Rn-Event-Types',
} as const;

export function encodeCommit(events: EventEnvelope[]): Uint8Array {
  return Buffer.from(JSON.stringify({ events } satisfies CommitBody));
}

/** The raw (not yet upcast) envelopes of a stored commit. */
export function decodeCommit(data: Uint8Array): unknown[] {
  const body: unknown = JSON.parse(
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'),
  );
  if (typeof body !== 'object' || body === null || !Array.isArray((body as CommitBody).events)) {
    throw new Error('stored message is not an event commit (no "events" array)');
  }
  return (body as CommitBody).events;
}
