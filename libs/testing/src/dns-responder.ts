import { createSocket, type Socket } from 'node:dgram';

/**
 * A DNS server on 127.0.0.1 (UDP) that answers every A question with 127.0.0.1 (unless the name is
 * in `unresolvable`) and every other question with no record: for a test CA (pebble's `-dnsserver`) that must reach a gateway on this
 * machine under any name.
 */
export class LoopbackDnsServer {
  /** The names asked for, in order (lower-case, no trailing dot). */
  readonly questions: string[] = [];

  /** Names answered with no address at all, as for a domain that does not point here. */
  readonly unresolvable = new Set<string>();

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async start(): Promise<LoopbackDnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    const server = new LoopbackDnsServer(socket, socket.address().port);
    socket.on('message', (query, peer) => {
      const answer = server.answer(query);
      if (answer) socket.send(answer, peer.port, peer.address);
    });
    return server;
  }

  /** The reply to one query (RFC 1035 §4.1), or undefined for a malformed one. */
  answer(query: Buffer): Buffer | undefined {
    if (query.length < 17 || query.readUInt16BE(4) !== 1) return undefined;
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const length = query.readUInt8(at);
      if (length > 63 || at + 1 + length > query.length) return undefined;
      labels.push(query.subarray(at + 1, at + 1 + length).toString('latin1'));
      at += 1 + length;
    }
    const end = at + 5; // the terminating zero, QTYPE, QCLASS
    if (end > query.length) return undefined;
    const type = query.readUInt16BE(at + 1);
    const name = labels.join('.').toLowerCase();
    this.questions.push(name);
    const resolves = type === 1 && !this.unresolvable.has(name);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // id
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100), 2); // response, authoritative, RD copied
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(resolves ? 1 : 0, 6); // one answer for A, none otherwise
    const question = query.subarray(12, end);
    if (!resolves) return Buffer.concat([header, question]);
    const record = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
    return Buffer.concat([header, question, record]);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
