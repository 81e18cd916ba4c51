import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  kernelDevice,
  runCommand,
  uapiDevice,
  uapiSocketPath,
  type WgQuickConfig,
  type WireGuardDevice,
} from '@rustronaut/wireguard';
import { CliError, CliErrorCode } from '../errors';

/**
 * Brings a device's tunnel up on this machine: the kernel's WireGuard when it has it, else
 * wireguard-go (which stays in the background after the command ends); the address, the routes.
 */
export async function bringUp(ifname: string, config: WgQuickConfig): Promise<WireGuardDevice['kind']> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new CliError(
      CliErrorCode.NotPermitted,
      'bringing a WireGuard interface up needs root',
      'run it with sudo, or use --config-only (or --qr) and import the config into the WireGuard app',
    );
  }
  await runCommand('ip', ['link', 'del', ifname]).catch(() => undefined);
  let device: WireGuardDevice;
  try {
    await runCommand('ip', ['link', 'add', ifname, 'type', 'wireguard']);
    device = kernelDevice(ifname);
  } catch {
    await startWireGuardGo(ifname);
    device = uapiDevice(ifname);
  }
  const peer = config.peers[0];
  await device.set({
    privateKey: config.interface.privateKey,
    replacePeers: true,
    peers: peer
      ? [
          {
            publicKey: peer.publicKey,
            replaceAllowedIps: peer.allowedIps,
            ...(peer.endpoint ? { endpoint: await resolveEndpoint(peer.endpoint) } : {}),
            ...(peer.persistentKeepalive ? { persistentKeepaliveInterval: peer.persistentKeepalive } : {}),
          },
        ]
      : [],
  });
  const batch = [
    ...config.interface.addresses.map((a) => `address replace ${a} dev ${ifname}`),
    `link set ${ifname} up`,
    ...(peer?.allowedIps ?? []).map((cidr) => `route replace ${cidr} dev ${ifname}`),
  ];
  await runCommand('ip', ['-batch', '-'], `${batch.join('\n')}\n`);
  return device.kind;
}

/** Takes the interface down (wireguard-go ends with it). False when there was none. */
export async function bringDown(ifname: string): Promise<boolean> {
  try {
    await runCommand('ip', ['link', 'del', ifname]);
    return true;
  } catch {
    return false;
  }
}

/**
 * wireguard-go daemonises itself: the first process exits 0 and its copy keeps the interface. It
 * is started as wg-quick starts it, in the caller's session. A session of its own (setsid, as
 * `detached` did) is a CPU scheduling group of its own under the kernel's autogroup: on a busy
 * machine that tunnel got about half the CPU, and half the throughput, of the same wireguard-go
 * in the caller's session (bench:wireguard at load 30-40: 0.46-0.55x a bare pair; 0.89-0.99x
 * without). Hang-ups are ignored (nohup; Go keeps an inherited SIGHUP ignore), so closing the
 * terminal, or sudo's pseudo-terminal, does not take the tunnel down.
 */
async function startWireGuardGo(ifname: string): Promise<void> {
  const child = spawn('nohup', ['wireguard-go', ifname], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  child.unref();
  // nohup answers 127 when it finds no such command.
  if (code === 127)
    throw new CliError(
      CliErrorCode.NotSupported,
      'this machine has no kernel WireGuard and no wireguard-go',
      'install wireguard-go (Debian/Ubuntu: sudo apt-get install wireguard-go wireguard-tools), or use --config-only with the WireGuard app',
    );
  if (code !== 0)
    throw new CliError(
      CliErrorCode.NotSupported,
      `wireguard-go could not create ${ifname}: ${stderr.trim()}`,
    );
  const socket = uapiSocketPath(ifname);
  for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(30);
  if (!existsSync(socket))
    throw new CliError(CliErrorCode.NotSupported, `wireguard-go did not open ${socket}`);
}

/** The UAPI takes ip:port only: a host name is resolved here. */
async function resolveEndpoint(endpoint: string): Promise<string> {
  const m = /^(.*):(\d+)$/.exec(endpoint);
  if (!m || /^[\d.]+$/.test(m[1]!) || m[1]!.startsWith('[')) return endpoint;
  const { lookup } = await import('node:dns/promises');
  const { address, family } = await lookup(m[1]!);
  return family === 6 ? `[${address}]:${m[2]}` : `${address}:${m[2]}`;
}
