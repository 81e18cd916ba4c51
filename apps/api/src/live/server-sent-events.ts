import { Readable } from 'node:stream';
import type { LiveMessage } from './live-feed';

/**
 * A text/event-stream body: each message as `event:` and one `data:` line of JSON, and a comment
 * every `keepAliveMs` so proxies keep the connection open. Ends when `signal` aborts.
 */
export function serverSentEvents(
  messages: AsyncIterable<LiveMessage>,
  signal: AbortSignal,
  keepAliveMs = 15_000,
): Readable {
  // Pushed to as messages come; nothing to do when the reader wants more.
  const stream = new Readable({ read: () => undefined });
  stream.push(': live\n\n');
  const timer = setInterval(() => stream.push(': keep-alive\n\n'), keepAliveMs);
  timer.unref();
  const end = () => {
    clearInterval(timer);
    stream.push(null);
  };
  signal.addEventListener('abort', end, { once: true });
  void (async () => {
    try {
      for await (const message of messages) stream.push(formatEvent(message));
    } finally {
      if (!signal.aborted) end();
    }
  })();
  return stream;
}

/** One event in the text/event-stream format (JSON never contains a raw newline). */
export const formatEvent = (message: LiveMessage) =>
  `event: ${message.event.replace(/[\r\n]/g, '')}\ndata: ${JSON.stringify(message.data)}\n\n`;

/** Maps an async iterable (the feed's records to the API's JSON). */
export async function* mapLive<T>(
  source: AsyncIterable<T>,
  to: (item: T) => LiveMessage,
): AsyncIterable<LiveMessage> {
  for await (const item of source) yield to(item);
}
