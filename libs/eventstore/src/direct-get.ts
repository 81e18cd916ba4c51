import type { JetStreamManager, StoredMsg } from 'nats';

/** Direct gets (stream `allow_direct`), which nats.js has but does not type on its manager interface. */
export interface DirectGet {
  getMessage(
    stream: string,
    query: { seq: number } | { last_by_subj: string } | { seq: number; next_by_subj: string },
  ): Promise<StoredMsg>;
}

export function directGet(jsm: JetStreamManager): DirectGet {
  const direct = (jsm as JetStreamManager & { direct?: DirectGet }).direct;
  if (!direct) throw new Error('this nats client has no direct-get API');
  return direct;
}
