import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { TLSSocket } from 'node:tls';

/** As much as one read takes: Node's own read size. */
const READ_SIZE = 64 * 1024;
/** A read this small is copied out of the shared buffer (Node's 8 KiB pool serves it). */
const SMALL_READ = 4 * 1024;
/** A connection that reads this many small chunks in a row gives its own buffer back. */
const SMALL_READS_TO_REST = 16;

/** Read into by every relay whose connection is at rest; never written from (see Relay). */
let shared: Buffer | undefined;
const sharedBuffer = (): Buffer => (shared ??= Buffer.allocUnsafeSlow(READ_SIZE));

/**
 * A net.Socket's `onread` state, which the Socket constructor sets from its `onread` option and
 * which a server's accepted sockets cannot be given (net.Server takes no such option): the
 * symbols are read off a socket made with the option, and an accepted socket gets the same three
 * fields plus its handle's user buffer, exactly as the constructor would have set them.
 */
const onreadFields = (() => {
  const probe = new Socket({
    onread: { buffer: () => Buffer.alloc(0), callback: () => true },
  } as ConstructorParameters<typeof Socket>[0]);
  const symbol = (name: string) => Object.getOwnPropertySymbols(probe).find((s) => s.description === name);
  const fields = { buffer: symbol('kBuffer'), callback: symbol('kBufferCb'), next: symbol('kBufferGen') };
  return fields.buffer && fields.callback && fields.next
    ? (fields as { buffer: symbol; callback: symbol; next: symbol })
    : undefined;
})();

interface StreamHandle {
  reading?: boolean;
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/**
 * One direction of a proxied TCP connection: bytes read from a socket are written to the other
 * side without a new buffer per read.
 *
 * A socket left to itself reads into a new 64 KiB ArrayBuffer each time. At a few Gbit/s that is
 * tens of thousands a second, all counted by V8 as external memory, and in a gateway whose heap
 * has served other load V8 answers with mark-compact after mark-compact: profiled under iperf3,
 * about 2 s of CPU per GB proxied, four times a bare Node pipe. A relay reads into memory it
 * reuses instead (net.Socket's `onread`):
 * - while its connection is at rest it reads into one buffer shared by every relay, and copies
 *   what it read before writing it (a small read into Node's pool), so a pending write never
 *   holds the shared buffer;
 * - a read larger than SMALL_READ gives the relay a buffer of its own, read into and written from
 *   with no copy while the connection stays busy, handed back after SMALL_READS_TO_REST small
 *   reads in a row (an idle connection holds no buffer);
 * - a write the other side did not take at once (its kernel buffer is full) still holds the memory
 *   it was given: the relay stops reading until that write has completed. That is the
 *   backpressure, as a pipe's, with one write in flight at a time.
 * The other side's FIN is passed on when the source ends (both sockets allow half-open).
 */
export class Relay {
  #from: Socket | undefined;
  #own: Buffer | null = null;
  #smallReads = 0;
  #waiting = false;

  constructor(private readonly to: Writable) {}

  /**
   * For an accepted socket that has not been read yet (a server's `pauseOnConnect`): from now on
   * it reads through a relay into `to`. Undefined when it cannot (TLS, already reading, data
   * buffered, or this Node has no `onread` state to set): the caller pipes instead.
   */
  static accepted(from: Socket, to: Writable): Relay | undefined {
    const handle = (from as unknown as { _handle?: StreamHandle | null })._handle;
    if (
      onreadFields === undefined ||
      from instanceof TLSSocket ||
      typeof handle?.useUserBuffer !== 'function' ||
      handle.reading !== false ||
      from.readableFlowing !== false ||
      from.readableLength > 0 ||
      from.destroyed
    )
      return undefined;
    const relay = new Relay(to);
    const first = relay.#next();
    const fields = from as unknown as Record<symbol, unknown>;
    fields[onreadFields.buffer] = first;
    fields[onreadFields.callback] = relay.#read;
    fields[onreadFields.next] = relay.#next;
    handle.useUserBuffer(first);
    relay.from(from);
    from.resume();
    return relay;
  }

  /** `onread` for net.connect: the socket it makes reads into this relay (then call `from` with it). */
  get onread(): { buffer: () => Buffer; callback: (bytes: number, buffer: Buffer) => boolean } {
    return { buffer: this.#next, callback: this.#read };
  }

  /** The socket this relay reads; its end is passed on as `to`'s end. */
  from(socket: Socket): this {
    this.#from = socket;
    socket.once('end', () => this.to.end());
    return this;
  }

  readonly #next = (): Buffer => this.#own ?? sharedBuffer();

  readonly #written = (): void => {
    if (!this.#waiting) return;
    this.#waiting = false;
    if (this.#from && !this.#from.destroyed) this.#from.resume();
  };

  /** A read of `bytes` into `buffer`; false stops reading (resumed once the write completed). */
  readonly #read = (bytes: number, buffer: Buffer): boolean => {
    if (this.to.destroyed) return false;
    let chunk: Buffer;
    if (buffer === this.#own) {
      chunk = buffer.subarray(0, bytes);
      this.#smallReads = bytes <= SMALL_READ ? this.#smallReads + 1 : 0;
    } else if (bytes <= SMALL_READ) {
      chunk = Buffer.allocUnsafe(bytes);
      buffer.copy(chunk, 0, 0, bytes);
    } else {
      this.#own = Buffer.allocUnsafeSlow(READ_SIZE);
      this.#smallReads = 0;
      buffer.copy(this.#own, 0, 0, bytes);
      chunk = this.#own.subarray(0, bytes);
    }
    this.to.write(chunk, this.#written);
    if (this.to.writableLength > 0) {
      this.#waiting = true;
      return false;
    }
    if (this.#smallReads >= SMALL_READS_TO_REST) {
      this.#own = null;
      this.#smallReads = 0;
    }
    return true;
  };
}
