import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { DatagramReader, MAX_DATAGRAM, encodeDatagram } from './datagrams';
import { encodeFrame, readFrame, type HandshakeMessage } from './handshake';
import { TunnelServer } from './tunnel-server';

/** How long each fuzz loop runs: bounded, so CI time is too (RN_FUZZ_MS for a longer local run). */
const BUDGET_MS = Number(process.env['RN_FUZZ_MS'] ?? 1500);

const VALID: HandshakeMessage[] = [
  {
    type: 'hello',
    versions: [1],
    token: 'rnt_abc',
    agent: 'test',
    services: [{ name: 'web', protocol: 'http' }],
  },
  { type: 'welcome', version: 1, tunnelId: 'tun_1', services: [], keepAliveS: 15 },
  { type: 'refused', code: 'X', message: 'no', retryAfterS: null },
];

/** A valid frame with a few bytes flipped, cut, duplicated or inserted. */
function mutate(frame: Buffer): Buffer {
  const bytes = Buffer.from(frame);
  switch (randomInt(4)) {
    case 0:
      for (let i = 0; i < 1 + randomInt(4); i++) bytes[randomInt(bytes.length)] = randomInt(256);
      return bytes;
    case 1:
      return bytes.subarray(0, randomInt(bytes.length));
    case 2:
      return Buffer.concat([bytes, randomBytes(randomInt(64))]);
    default: {
      const at = randomInt(bytes.length);
      return Buffer.concat([bytes.subarray(0, at), randomBytes(1 + randomInt(8)), bytes.subarray(at)]);
    }
  }
}

function forBudget(body: () => void): number {
  const until = Date.now() + BUDGET_MS;
  let runs = 0;
  while (Date.now() < until) {
    body();
    runs++;
  }
  return runs;
}

describe('fuzzing the tunnel parsers (bounded time)', () => {
  it('readFrame never throws on random or mutated input, and only accepts well-formed messages', () => {
    const frames = VALID.map(encodeFrame);
    const runs = forBudget(() => {
      const input =
        randomInt(3) === 0 ? randomBytes(randomInt(200)) : mutate(frames[randomInt(frames.length)]!);
      const result = readFrame(input);
      if (result.kind === 'frame') {
        // Whatever was accepted re-encodes to a frame that reads back the same.
        const again = readFrame(encodeFrame(result.message));
        expect(again.kind === 'frame' && JSON.stringify(again.message)).toBe(JSON.stringify(result.message));
      }
    });
    expect(runs).toBeGreaterThan(1000);
  });

  it('readFrame asks for more bytes on every strict prefix of a valid frame, never more than 64 KiB', () => {
    for (const frame of VALID.map(encodeFrame)) {
      for (let cut = 0; cut < frame.length; cut++)
        expect(readFrame(frame.subarray(0, cut)).kind).toBe('more');
      expect(readFrame(frame).kind).toBe('frame');
    }
    const huge = Buffer.alloc(8);
    huge.write('RNT1');
    huge.writeUInt32BE(64 * 1024 + 1, 4);
    expect(readFrame(huge)).toEqual({ kind: 'invalid', reason: 'handshake frame of 65537 bytes' });
  });

  it('the datagram reader splits any chunking of valid frames correctly and rejects bad lengths', () => {
    forBudget(() => {
      const datagrams = Array.from({ length: 1 + randomInt(5) }, () => randomBytes(randomInt(300)));
      const stream = Buffer.concat(datagrams.map(encodeDatagram));
      const reader = new DatagramReader();
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length;) {
        const size = 1 + randomInt(40);
        const got = reader.push(stream.subarray(at, at + size));
        if ('error' in got) throw new Error(got.error);
        out.push(...got);
        at += size;
      }
      expect(Buffer.concat(out).equals(Buffer.concat(datagrams))).toBe(true);
      expect(out.length).toBe(datagrams.length);
    });
    const bad = Buffer.alloc(2);
    bad.writeUInt16BE(MAX_DATAGRAM + 1);
    expect(new DatagramReader().push(bad)).toEqual({
      error: `datagram length ${MAX_DATAGRAM + 1} over ${MAX_DATAGRAM}`,
    });
  });

  describe('a live tunnel server fed garbage', () => {
    let tcp: Server;
    let port: number;
    const rejected: string[] = [];
    let admitted = 0;

    beforeAll(async () => {
      const server = new TunnelServer({
        handshakeTimeoutMs: 300,
        authenticate: () => {
          admitted++;
          return Promise.resolve({ ok: false, code: 'TEST', message: 'not in this test', retryAfterS: 0 });
        },
      });
      server.on('rejected', (r: { code: string }) => rejected.push(r.code));
      tcp = createServer((socket) => void server.accept(socket)).listen(0, '127.0.0.1');
      await once(tcp, 'listening');
      port = (tcp.address() as AddressInfo).port;
    });
    afterAll(() => tcp.close());

    it('closes every garbage connection cleanly (no crash, no hang) and keeps serving', async () => {
      const valid = encodeFrame(VALID[0]!);
      const closedWithin = async (bytes: Buffer) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await once(socket, 'connect');
        socket.write(bytes);
        await once(socket, 'close');
      };
      const inputs: Buffer[] = [];
      for (let i = 0; i < 40; i++)
        inputs.push(i % 2 ? randomBytes(randomInt(300)) : mutate(valid).subarray(0, valid.length - 1));
      // Each one ends: refused at once (bad magic or JSON) or at the handshake timeout (incomplete).
      await Promise.all(inputs.map(closedWithin));
      expect(rejected.length).toBeGreaterThanOrEqual(40);
      expect(rejected.every((c) => c.startsWith('TUNNEL_HANDSHAKE_'))).toBe(true);
      expect(admitted).toBe(0);
    });
  });
});
