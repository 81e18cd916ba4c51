import { randomBytes } from 'node:crypto';
import { diffPeers } from './peer-diff';
import type { PeerStatus } from './uapi-protocol';

const key = () => randomBytes(32).toString('base64');
const status = (publicKey: string, allowedIps: string[], keepalive = 0): PeerStatus => ({
  publicKey,
  allowedIps,
  endpoint: null,
  persistentKeepaliveInterval: keepalive,
  lastHandshakeTimeSec: 0,
  lastHandshakeTimeNsec: 0,
  rxBytes: 0,
  txBytes: 0,
});

describe('diffPeers', () => {
  it('given the desired peers already there, changes nothing', () => {
    const [a, b] = [key(), key()];
    const sut = diffPeers(
      [status(a, ['10.1.0.2/32']), status(b, ['10.1.0.3/32', 'fd00::3/128'])],
      [
        { publicKey: b, allowedIps: ['fd00::3/128', '10.1.0.3/32'] },
        { publicKey: a, allowedIps: ['10.1.0.2/32'] },
      ],
    );
    expect(sut).toEqual({ changes: [], added: 0, updated: 0, removed: 0, unchanged: 2 });
  });

  it('adds new peers, removes gone ones, updates changed ones in place and leaves the rest', () => {
    const [kept, moved, gone, fresh] = [key(), key(), key(), key()];
    const sut = diffPeers(
      [status(kept, ['10.1.0.2/32']), status(moved, ['10.1.0.3/32']), status(gone, ['10.1.0.4/32'])],
      [
        { publicKey: kept, allowedIps: ['10.1.0.2/32'] },
        { publicKey: moved, allowedIps: ['10.1.0.9/32'] },
        { publicKey: fresh, allowedIps: ['10.1.0.5/32'], persistentKeepaliveInterval: 25 },
      ],
    );
    expect(sut.changes).toEqual([
      { publicKey: gone, remove: true },
      { publicKey: moved, updateOnly: true, replaceAllowedIps: ['10.1.0.9/32'] },
      { publicKey: fresh, replaceAllowedIps: ['10.1.0.5/32'], persistentKeepaliveInterval: 25 },
    ]);
    expect([sut.added, sut.updated, sut.removed, sut.unchanged]).toEqual([1, 1, 1, 1]);
  });

  it('for 1,000 peers and one change, mentions exactly that one peer', () => {
    const keys = Array.from({ length: 1000 }, key);
    const current = keys.map((k, i) => status(k, [`10.9.${i >> 8}.${i & 255}/32`]));
    const desired = current.map((p) => ({ publicKey: p.publicKey, allowedIps: p.allowedIps }));
    desired[500] = { publicKey: keys[500]!, allowedIps: ['10.200.0.1/32'] };
    const sut = diffPeers(current, desired);
    expect(sut.changes).toEqual([
      { publicKey: keys[500], updateOnly: true, replaceAllowedIps: ['10.200.0.1/32'] },
    ]);
  });
});
