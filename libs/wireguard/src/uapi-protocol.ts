import { isIP } from 'node:net';
import { WireGuardError, WireGuardErrorCode } from './errors';
import { hexToKey, keyToHex, type WireGuardKey } from './keys';

// The cross-platform userspace API (wireguard.com/xplatform): `set=1` / `get=1` requests of
// `key=value` lines ended by an empty line; keys in lower-case hex; replies end with `errno=N`.

/** One peer as the interface reports it. */
export interface PeerStatus {
  publicKey: WireGuardKey;
  endpoint: string | null;
  allowedIps: string[];
  persistentKeepaliveInterval: number;
  /** Unix seconds of the last handshake, 0 when there has been none. */
  lastHandshakeTimeSec: number;
  lastHandshakeTimeNsec: number;
  rxBytes: number;
  txBytes: number;
}

/** The interface as `get=1` reports it. */
export interface DeviceStatus {
  privateKey: WireGuardKey | null;
  listenPort: number;
  fwmark: number;
  peers: PeerStatus[];
}

/** A change to one peer (`set=1`). */
export interface PeerChange {
  publicKey: WireGuardKey;
  remove?: boolean;
  /** Only change the peer when it already exists (never create it). */
  updateOnly?: boolean;
  endpoint?: string;
  persistentKeepaliveInterval?: number;
  /** The new allowed IPs, replacing the current ones (`replace_allowed_ips=true`). */
  replaceAllowedIps?: string[];
}

/** A `set=1` request: interface settings and peer changes. */
export interface DeviceChange {
  privateKey?: WireGuardKey;
  listenPort?: number;
  fwmark?: number;
  replacePeers?: boolean;
  peers?: PeerChange[];
}

const CIDR_LINE = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/;

function checkCidr(cidr: string): string {
  const m = CIDR_LINE.exec(cidr);
  const family = m ? isIP(m[1]!) : 0;
  const bits = m ? Number(m[2]) : -1;
  if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) {
    throw new WireGuardError(
      WireGuardErrorCode.InvalidPeer,
      `allowed IP ${JSON.stringify(cidr)} is not a CIDR`,
    );
  }
  return cidr;
}

function checkEndpoint(endpoint: string): string {
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(endpoint);
  const v4 = /^([0-9.]+):(\d{1,5})$/.exec(endpoint);
  const m = v6 ?? v4;
  if (!m || isIP(m[1]!) !== (v6 ? 6 : 4) || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new WireGuardError(
      WireGuardErrorCode.InvalidPeer,
      `endpoint ${JSON.stringify(endpoint)} is not ip:port (an IPv6 address in brackets)`,
    );
  }
  return endpoint;
}

function checkInt(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WireGuardError(WireGuardErrorCode.InvalidPeer, `${what} must be an integer from 0 to ${max}`);
  }
  return value;
}

/** The text of a `set=1` request; every value is checked, so nothing can inject a line. */
export function encodeSet(change: DeviceChange): string {
  const lines = ['set=1'];
  if (change.privateKey !== undefined) lines.push(`private_key=${keyToHex(change.privateKey)}`);
  if (change.listenPort !== undefined)
    lines.push(`listen_port=${checkInt(change.listenPort, 65535, 'listen port')}`);
  if (change.fwmark !== undefined) lines.push(`fwmark=${checkInt(change.fwmark, 0xffffffff, 'fwmark')}`);
  if (change.replacePeers) lines.push('replace_peers=true');
  for (const peer of change.peers ?? []) {
    lines.push(`public_key=${keyToHex(peer.publicKey)}`);
    if (peer.remove) {
      lines.push('remove=true');
      continue;
    }
    if (peer.updateOnly) lines.push('update_only=true');
    if (peer.endpoint !== undefined) lines.push(`endpoint=${checkEndpoint(peer.endpoint)}`);
    if (peer.persistentKeepaliveInterval !== undefined)
      lines.push(
        `persistent_keepalive_interval=${checkInt(peer.persistentKeepaliveInterval, 65535, 'keepalive')}`,
      );
    if (peer.replaceAllowedIps !== undefined) {
      lines.push('replace_allowed_ips=true');
      for (const cidr of peer.replaceAllowedIps) lines.push(`allowed_ip=${checkCidr(cidr)}`);
    }
  }
  return `${lines.join('\n')}\n\n`;
}

export const GET_REQUEST = 'get=1\n\n';

/** The errno of a reply (its last line), or a clear error when the reply is not one. */
export function replyErrno(reply: string): number {
  const m = /(?:^|\n)errno=(-?\d+)\n\n?$/.exec(reply);
  if (!m) throw new WireGuardError(WireGuardErrorCode.Uapi, 'the WireGuard interface sent a malformed reply');
  return Number(m[1]);
}

function num(value: string, key: string): number {
  if (!/^\d{1,20}$/.test(value))
    throw new WireGuardError(WireGuardErrorCode.Uapi, `malformed ${key} in the interface's reply`);
  return Number(value);
}

/** Parses a `get=1` reply (any order of known keys; unknown keys are skipped, as the spec asks). */
export function parseGet(reply: string): DeviceStatus {
  const errno = replyErrno(reply);
  if (errno !== 0)
    throw new WireGuardError(WireGuardErrorCode.Uapi, `get failed: errno=${errno}`, { details: { errno } });
  const device: DeviceStatus = { privateKey: null, listenPort: 0, fwmark: 0, peers: [] };
  let peer: PeerStatus | undefined;
  for (const line of reply.split('\n')) {
    if (line === '' || line.startsWith('errno=')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new WireGuardError(WireGuardErrorCode.Uapi, 'malformed line in the interface reply');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'public_key') {
      const publicKey = hexToKey(value);
      if (!publicKey)
        throw new WireGuardError(WireGuardErrorCode.Uapi, 'malformed public_key in the interface reply');
      peer = {
        publicKey,
        endpoint: null,
        allowedIps: [],
        persistentKeepaliveInterval: 0,
        lastHandshakeTimeSec: 0,
        lastHandshakeTimeNsec: 0,
        rxBytes: 0,
        txBytes: 0,
      };
      device.peers.push(peer);
      continue;
    }
    if (!peer) {
      if (key === 'private_key') device.privateKey = hexToKey(value) ?? null;
      else if (key === 'listen_port') device.listenPort = num(value, key);
      else if (key === 'fwmark') device.fwmark = num(value, key);
      continue;
    }
    switch (key) {
      case 'endpoint':
        peer.endpoint = value;
        break;
      case 'allowed_ip':
        peer.allowedIps.push(value);
        break;
      case 'persistent_keepalive_interval':
        peer.persistentKeepaliveInterval = num(value, key);
        break;
      case 'last_handshake_time_sec':
        peer.lastHandshakeTimeSec = num(value, key);
        break;
      case 'last_handshake_time_nsec':
        peer.lastHandshakeTimeNsec = num(value, key);
        break;
      case 'rx_bytes':
        peer.rxBytes = num(value, key);
        break;
      case 'tx_bytes':
        peer.txBytes = num(value, key);
        break;
      default:
        break; // preshared_key, protocol_version, and keys of newer versions
    }
  }
  return device;
}
