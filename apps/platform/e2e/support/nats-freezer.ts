import { createServer, connect, type Server, type Socket } from 'node:net';

/** A message a client published (PUB or HPUB), as it went to the server. */
export interface Published {
  subject: string;
  /** The inbox the publisher expects its reply on (JetStream's acknowledgement), if any. */
  reply?: string;
  /** Headers (HPUB) and payload, as sent. */
  body: Buffer;
}

interface Trap {
  matches: (message: Published) => boolean;
  sprung: (message: Published) => void;
}

/** Whether a connection's publish awaits its reply (JetStream's acknowledgement), and then what. */
interface AwaitedReply {
  /** `MSG <inbox> ` / `HMSG <inbox> `, as the server would start the reply. */
  heads: string[];
  seen: string;
  then: () => void;
}

/**
 * A TCP proxy in front of a NATS server that can stop one client connection dead in the middle of
 * its work. Armed with a test on what clients publish, it lets the first matching publish through
 * (the server stores and acknowledges it, the client hears the acknowledgement: only then is the
 * trap sprung) and from then on
 * holds everything that connection sends: the process behind it carries on as far as it can without
 * being heard, as if it had died right after that publish. Every other connection, and every later
 * one, passes untouched. Loopback only; the NATS client protocol is plain text, so the proxy reads
 * just enough of it to find whole messages (`PUB`/`HPUB` with their payloads, one line for the rest).
 */
export class NatsFreezer {
  readonly #sockets = new Set<Socket>();
  #trap: Trap | undefined;

  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstreamUrl: string): Promise<NatsFreezer> {
    const upstream = new URL(upstreamUrl);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const freezer = new NatsFreezer(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => freezer.accept(client, upstream));
    return freezer;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Resolves with the matching publish once it has gone through and its connection is held. */
  arm(matches: (message: Published) => boolean): Promise<Published> {
    if (this.#trap) throw new Error('the freezer is armed already');
    return new Promise((resolve) => {
      this.#trap = { matches, sprung: resolve };
    });
  }

  private accept(client: Socket, upstream: URL): void {
    const server = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [client, server]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    let awaited: AwaitedReply | undefined;
    server.on('data', (chunk: Buffer) => {
      client.write(chunk); // the server is always heard
      if (!awaited) return;
      // A reply may be split over chunks: keep a tail long enough to hold its head.
      const seen = awaited.seen + chunk.toString('latin1');
      if (awaited.heads.some((head) => seen.includes(head))) {
        const then = awaited.then;
        awaited = undefined;
        then();
      } else {
        awaited.seen = seen.slice(-512);
      }
    });
    let pending = Buffer.alloc(0);
    let held = false;
    client.on('data', (chunk) => {
      if (held) return;
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const unit = nextUnit(pending);
        if (!unit) return;
        pending = pending.subarray(unit.length);
        server.write(unit.bytes);
        const trap = this.#trap;
        const published = unit.published;
        if (published && trap?.matches(published)) {
          this.#trap = undefined;
          held = true;
          pending = Buffer.alloc(0);
          // What the client sends next is never delivered. Sprung once the server has stored the
          // message: when its acknowledgement goes back to the client (at once for a plain publish).
          if (published.reply)
            awaited = {
              heads: [`MSG ${published.reply} `, `HMSG ${published.reply} `],
              seen: '',
              then: () => trap.sprung(published),
            };
          else server.write('', () => trap.sprung(published));
          return;
        }
      }
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The first whole protocol unit of what a client sent, if it is all there yet. */
function nextUnit(buffer: Buffer): { length: number; bytes: Buffer; published?: Published } | undefined {
  const eol = buffer.indexOf('\r\n');
  if (eol < 0) return undefined;
  const line = buffer.subarray(0, eol).toString('latin1');
  const [op = '', ...args] = line.trim().split(/\s+/);
  const verb = op.toUpperCase();
  if (verb !== 'PUB' && verb !== 'HPUB') return { length: eol + 2, bytes: buffer.subarray(0, eol + 2) };
  const size = Number(args.at(-1));
  const length = eol + 2 + size + 2;
  if (buffer.length < length) return undefined;
  // PUB <subject> [reply] <size>; HPUB <subject> [reply] <header size> <total size>
  const reply = args.length === (verb === 'PUB' ? 3 : 4) ? args[1] : undefined;
  return {
    length,
    bytes: buffer.subarray(0, length),
    published: {
      subject: args[0] ?? '',
      ...(reply ? { reply } : {}),
      body: buffer.subarray(eol + 2, eol + 2 + size),
    },
  };
}
