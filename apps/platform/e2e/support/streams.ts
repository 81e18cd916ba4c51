/** What it writes to: a response (HTTP/1.1 or HTTP/2), a request, a socket. */
interface Sink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
}

/**
 * Writes `chunk` over and over until `total` bytes are out (a multiple of the chunk's size), with
 * backpressure, then ends: a large body streamed, never held whole.
 */
export function writeRepeated(out: Sink, chunk: Buffer, total: number): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      sent += chunk.length;
      if (!out.write(chunk)) return void out.once('drain', pump);
    }
    out.end();
  };
  pump();
}
