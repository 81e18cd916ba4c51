import { randomBytes, randomInt } from 'node:crypto';
import { WireGuardError } from './errors';
import { forBudget, mutateText } from './fuzz.spec-support';
import { keyToHex } from './keys';
import { encodeSet, parseGet, replyErrno, type DeviceChange } from './uapi-protocol';

const key = () => randomBytes(32).toString('base64');

function randomReply(peers: number): { text: string; keys: string[] } {
  const keys = Array.from({ length: peers }, key);
  const lines = [`private_key=${keyToHex(key())}`, 'listen_port=51820'];
  keys.forEach((k, i) => {
    lines.push(
      `public_key=${keyToHex(k)}`,
      'protocol_version=1',
      `endpoint=192.0.2.${i % 250}:${1000 + i}`,
      `last_handshake_time_sec=${1700000000 + i}`,
      'last_handshake_time_nsec=5',
      `tx_bytes=${i * 3}`,
      `rx_bytes=${i * 7}`,
      'persistent_keepalive_interval=25',
      `allowed_ip=10.0.${i % 256}.${i % 200}/32`,
    );
  });
  return { text: `${lines.join('\n')}\nerrno=0\n\n`, keys };
}

describe('UAPI protocol', () => {
  it('reads every peer of a get reply with its handshake and byte counters', () => {
    const { text, keys } = randomReply(30);
    const sut = parseGet(text);
    expect(sut.listenPort).toBe(51820);
    expect(sut.peers.map((p) => p.publicKey)).toEqual(keys);
    expect(sut.peers[7]).toMatchObject({
      lastHandshakeTimeSec: 1700000007,
      rxBytes: 49,
      txBytes: 21,
      allowedIps: ['10.0.7.7/32'],
      persistentKeepaliveInterval: 25,
      endpoint: '192.0.2.7:1007',
    });
  });

  it('turns an errno reply into an error and refuses replies that are not replies', () => {
    expect(replyErrno('errno=0\n\n')).toBe(0);
    expect(() => parseGet('errno=-22\n\n')).toThrow(WireGuardError);
    expect(() => parseGet('listen_port=1\n')).toThrow(WireGuardError);
  });

  it('encodes a set request with hex keys, peer flags and replaced allowed IPs', () => {
    const a = key();
    const b = key();
    const text = encodeSet({
      listenPort: 51820,
      peers: [
        { publicKey: a, replaceAllowedIps: ['10.1.0.2/32'], persistentKeepaliveInterval: 25 },
        { publicKey: b, remove: true },
        { publicKey: a, updateOnly: true, replaceAllowedIps: [] },
      ],
    });
    expect(text).toBe(
      [
        'set=1',
        'listen_port=51820',
        `public_key=${keyToHex(a)}`,
        'persistent_keepalive_interval=25',
        'replace_allowed_ips=true',
        'allowed_ip=10.1.0.2/32',
        `public_key=${keyToHex(b)}`,
        'remove=true',
        `public_key=${keyToHex(a)}`,
        'update_only=true',
        'replace_allowed_ips=true',
        '',
        '',
      ].join('\n'),
    );
  });

  it('never lets a value add a line to a set request (generated hostile values)', () => {
    const runs = forBudget(() => {
      const junk = mutateText(['10.1.0.2/32', '192.0.2.1:51820', key(), '[fd00::1]:1'][randomInt(4)]!);
      const attempts: DeviceChange[] = [
        { peers: [{ publicKey: key(), replaceAllowedIps: [junk] }] },
        { peers: [{ publicKey: key(), endpoint: junk }] },
        { peers: [{ publicKey: junk }] },
        { privateKey: junk },
      ];
      for (const change of attempts) {
        try {
          const text = encodeSet(change);
          // accepted: it must be exactly the lines we meant, each key=value without control chars
          expect(text.endsWith('\n\n')).toBe(true);
          for (const line of text.slice(0, -2).split('\n'))
            expect(line).toMatch(/^[a-z_]+=[0-9a-zA-Z.:/[\]]+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(WireGuardError);
        }
      }
    });
    expect(runs).toBeGreaterThan(20);
  });

  it('reads any mangled reply as a reply or a WireGuardError, nothing else', () => {
    const { text } = randomReply(5);
    const runs = forBudget(() => {
      try {
        const sut = parseGet(mutateText(text));
        for (const peer of sut.peers) expect(Number.isSafeInteger(peer.rxBytes)).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(WireGuardError);
      }
    });
    expect(runs).toBeGreaterThan(20);
  });
});
