import { useEffect, useRef } from 'react';

/**
 * Follows a live view of the API (server-sent events, the session cookie): `onEvent` for each
 * message of `event`. The browser reconnects by itself when the stream drops.
 */
export function useLive<T>(path: string | undefined, event: string, onEvent: (data: T) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!path) return undefined;
    const source = new EventSource(path);
    const listener = (message: MessageEvent<string>) => handler.current(JSON.parse(message.data) as T);
    source.addEventListener(event, listener);
    return () => {
      source.removeEventListener(event, listener);
      source.close();
    };
  }, [path, event]);
}
