import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { diffPeers } from './peer-diff';
import { generateKeyPair } from './keys';
import { UapiClient, uapiSocketPath } from './uapi-client';
import { WireGuardError } from './errors';

// Against a real wireguard-go (tools/provision.sh installs it) in a network namespace of its own.
const ns = `rnwg-${randomBytes(3).toString('hex')}`;
const ifname = `wgt${randomBytes(3).toString('hex')}`;
let child: ChildProcess;
let sut: UapiClient;

beforeAll(async () => {
  execFileSync('ip', ['netns', 'add', ns]);
  child = spawn('ip', ['netns', 'exec', ns, 'wireguard-go', '-f', ifname], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(uapiSocketPath(ifname)); i++) await sleep(50);
  sut = new UapiClient(uapiSocketPath(ifname));
});

afterAll(() => {
  child?.kill();
  execFileSync('ip', ['netns', 'del', ns]);
});

describe('UapiClient against wireguard-go', () => {
  it('sets the key and port and reads them back', async () => {
    const { privateKey } = generateKeyPair();
    await sut.set({ privateKey, listenPort: 0 });
    const device = await sut.get();
    expect(device.privateKey).toBe(privateKey);
    expect(device.peers).toEqual([]);
  });

  it('applies 1,000 peers as a diff, then a one-peer change touching only that peer', async () => {
    const desired = Array.from({ length: 1000 }, (_, i) => ({
      publicKey: generateKeyPair().publicKey,
      allowedIps: [`10.77.${i >> 8}.${i & 255}/32`],
    }));
    await sut.set({ peers: diffPeers((await sut.get()).peers, desired).changes });
    const after = await sut.get();
    expect(after.peers).toHaveLength(1000);
    expect(new Set(after.peers.map((p) => p.allowedIps[0]))).toEqual(
      new Set(desired.map((p) => p.allowedIps[0])),
    );

    desired[3] = { publicKey: desired[3]!.publicKey, allowedIps: ['10.78.0.3/32'] };
    const gone = desired.pop()!;
    const diff = diffPeers(after.peers, desired);
    expect([diff.updated, diff.removed, diff.unchanged]).toEqual([1, 1, 998]);
    await sut.set({ peers: diff.changes });
    const final = await sut.get();
    expect(final.peers).toHaveLength(999);
    expect(final.peers.find((p) => p.publicKey === desired[3]!.publicKey)?.allowedIps).toEqual([
      '10.78.0.3/32',
    ]);
    expect(final.peers.some((p) => p.publicKey === gone.publicKey)).toBe(false);
  });

  it('says which interface it cannot reach', async () => {
    await expect(new UapiClient(uapiSocketPath('rn-none-such')).get()).rejects.toThrow(WireGuardError);
    await expect(new UapiClient(uapiSocketPath('rn-none-such')).get()).rejects.toThrow(/rn-none-such\.sock/);
  });
});
