import { runCommand as run } from './commands';
import { UapiClient, uapiSocketPath } from './uapi-client';
import type { DeviceChange, DeviceStatus } from './uapi-protocol';

/** How an interface's peers are read and changed: the UAPI of wireguard-go, or `wg` for the kernel. */
export interface WireGuardDevice {
  readonly kind: 'kernel' | 'wireguard-go';
  get(): Promise<DeviceStatus>;
  set(change: DeviceChange): Promise<void>;
}

/** A userspace interface (wireguard-go, boringtun) through its UAPI socket. */
export function uapiDevice(ifname: string, socketDir?: string): WireGuardDevice {
  const client = new UapiClient(uapiSocketPath(ifname, socketDir));
  return { kind: 'wireguard-go', get: () => client.get(), set: (change) => client.set(change) };
}

/** The kernel's interface through `wg` (netlink): `wg show dump` to read, `wg set` to change. */
export function kernelDevice(ifname: string): WireGuardDevice {
  return {
    kind: 'kernel',
    async get() {
      const lines = (await run('wg', ['show', ifname, 'dump'])).trim().split('\n');
      const [head, ...peers] = lines.map((l) => l.split('\t'));
      return {
        privateKey: head?.[0] && head[0] !== '(none)' ? head[0] : null,
        listenPort: Number(head?.[2] ?? 0),
        fwmark: 0,
        peers: peers.map((p) => ({
          publicKey: p[0] ?? '',
          endpoint: p[2] && p[2] !== '(none)' ? p[2] : null,
          allowedIps: p[3] && p[3] !== '(none)' ? p[3].split(',') : [],
          lastHandshakeTimeSec: Number(p[4] ?? 0),
          lastHandshakeTimeNsec: 0,
          rxBytes: Number(p[5] ?? 0),
          txBytes: Number(p[6] ?? 0),
          persistentKeepaliveInterval: p[7] === 'off' ? 0 : Number(p[7] ?? 0),
        })),
      };
    },
    async set(change) {
      const args = ['set', ifname];
      if (change.privateKey) args.push('private-key', '/dev/stdin');
      if (change.listenPort !== undefined) args.push('listen-port', String(change.listenPort));
      for (const peer of change.peers ?? []) {
        args.push('peer', peer.publicKey);
        if (peer.remove) {
          args.push('remove');
          continue;
        }
        if (peer.replaceAllowedIps) args.push('allowed-ips', peer.replaceAllowedIps.join(','));
        if (peer.persistentKeepaliveInterval !== undefined)
          args.push('persistent-keepalive', String(peer.persistentKeepaliveInterval || 'off'));
        if (peer.endpoint) args.push('endpoint', peer.endpoint);
      }
      await run('wg', args, change.privateKey);
    },
  };
}
