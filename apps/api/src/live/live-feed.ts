import type { NatsConnection, Subscription } from 'nats';
import {
  ACCESS_SUBJECT_ROOT,
  AccessBatchSchema,
  EVENTS_SUBJECT_ROOT,
  GATEWAY_RUNTIME_SUBJECT_ROOT,
  assertSubjectToken,
  type AccessRecordView,
} from '@rustronaut/contracts';

/** One message of a live view, as the browser's EventSource receives it. */
export interface LiveMessage {
  event: string;
  data: unknown;
}

/** A change of one gateway of the org (created, enrolled, status, config applied, deleted). */
export interface GatewayChange {
  gatewayId: string;
  type: string;
  at: string;
}

/**
 * What the console shows live, read from NATS as it happens (never polled): the access records the
 * gateways ship (`rn.access.<org>.<gateway>`) and the gateway aggregates' events. One org's
 * subscription can only see that org: the org is a subject token for the access log, and the
 * events' envelopes are filtered by their org.
 */
export class LiveFeed {
  constructor(
    private readonly nats: NatsConnection,
    private readonly roots = {
      access: ACCESS_SUBJECT_ROOT,
      events: EVENTS_SUBJECT_ROOT,
      runtime: GATEWAY_RUNTIME_SUBJECT_ROOT,
    },
  ) {}

  accessRecords(orgId: string, signal: AbortSignal): AsyncIterable<AccessRecordView> {
    const subject = `${this.roots.access}.${assertSubjectToken(orgId, 'org id')}.*`;
    return this.#follow(subject, signal, (subjectOf, payload) => {
      const gatewayId = subjectOf.split('.').pop() ?? '';
      const parsed = AccessBatchSchema.safeParse(payload);
      return parsed.success ? parsed.data.records.map((r) => ({ ...r, orgId, gatewayId })) : [];
    });
  }

  /** The gateway aggregates' events, and each time a gateway reports that what it serves changed. */
  gatewayChanges(orgId: string, signal: AbortSignal): AsyncIterable<GatewayChange> {
    const events = this.#follow(`${this.roots.events}.gateway.*`, signal, (_, payload) => {
      const events = (payload as { events?: unknown }).events;
      if (!Array.isArray(events)) return [];
      return events.flatMap(
        (e: { orgId?: unknown; aggregateId?: unknown; type?: unknown; occurredAt?: unknown }) =>
          e.orgId === orgId && typeof e.aggregateId === 'string' && typeof e.type === 'string'
            ? [{ gatewayId: e.aggregateId, type: e.type, at: String(e.occurredAt) }]
            : [],
      );
    });
    const runtime = this.#follow(
      `${this.roots.runtime}.${assertSubjectToken(orgId, 'org id')}`,
      signal,
      (_, payload) => {
        const { gatewayId, at } = payload as { gatewayId?: unknown; at?: unknown };
        return typeof gatewayId === 'string' && typeof at === 'string'
          ? [{ gatewayId, type: 'GatewayRuntimeReported', at }]
          : [];
      },
    );
    return merged([events, runtime], signal);
  }

  async *#follow<T>(
    subject: string,
    signal: AbortSignal,
    decode: (subject: string, payload: unknown) => T[],
  ): AsyncIterable<T> {
    if (signal.aborted) return;
    const sub: Subscription = this.nats.subscribe(subject);
    const stop = () => sub.unsubscribe();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const message of sub) {
        let payload: unknown;
        try {
          payload = JSON.parse(Buffer.from(message.data).toString('utf8'));
        } catch {
          continue;
        }
        if (payload === null || typeof payload !== 'object') continue;
        yield* decode(message.subject, payload);
      }
    } finally {
      signal.removeEventListener('abort', stop);
      stop();
    }
  }
}

/** The items of several live sources as they come, until the signal ends them all (it must end them). */
async function* merged<T>(sources: AsyncIterable<T>[], signal: AbortSignal): AsyncIterable<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const next = (it: AsyncIterator<T>, i: number) => it.next().then((result) => ({ it, i, result }));
  const pending = new Map(iterators.map((it, i) => [i, next(it, i)]));
  try {
    while (pending.size > 0 && !signal.aborted) {
      const { it, i, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(i);
        continue;
      }
      pending.set(i, next(it, i));
      yield result.value;
    }
  } finally {
    // A source waiting for its next message ends with the signal; its return is not awaited here.
    for (const it of iterators) void it.return?.()?.catch(() => undefined);
    for (const p of pending.values()) p.catch(() => undefined);
  }
}
