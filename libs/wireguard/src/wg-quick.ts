import { isIP } from 'node:net';
import { WireGuardError, WireGuardErrorCode } from './errors';
import { isWireGuardKey, type WireGuardKey } from './keys';

/** A wg-quick configuration (what the official apps import as a file or a QR code). */
export interface WgQuickConfig {
  interface: {
    privateKey: WireGuardKey;
    /** The device's addresses with their prefix, such as `10.1.0.2/32`. */
    addresses: string[];
    dns: string[];
    listenPort?: number;
    mtu?: number;
  };
  peers: WgQuickPeer[];
}

export interface WgQuickPeer {
  publicKey: WireGuardKey;
  presharedKey?: WireGuardKey;
  allowedIps: string[];
  /** host:port ([v6]:port); a host name is allowed here (the apps resolve it). */
  endpoint?: string;
  persistentKeepalive?: number;
}

/** Renders the config as wg-quick writes it (`Key = value`, sections in order). */
export function renderWgQuick(config: WgQuickConfig, comment?: string): string {
  const check = parseWgQuick; // what we render must read back the same: validate first
  const lines: string[] = [];
  if (comment) for (const line of comment.split('\n')) lines.push(`# ${line.replace(/[\r\n]/g, ' ')}`);
  lines.push('[Interface]', `PrivateKey = ${config.interface.privateKey}`);
  lines.push(`Address = ${config.interface.addresses.join(', ')}`);
  if (config.interface.dns.length) lines.push(`DNS = ${config.interface.dns.join(', ')}`);
  if (config.interface.listenPort !== undefined) lines.push(`ListenPort = ${config.interface.listenPort}`);
  if (config.interface.mtu !== undefined) lines.push(`MTU = ${config.interface.mtu}`);
  for (const peer of config.peers) {
    lines.push('', '[Peer]', `PublicKey = ${peer.publicKey}`);
    if (peer.presharedKey) lines.push(`PresharedKey = ${peer.presharedKey}`);
    lines.push(`AllowedIPs = ${peer.allowedIps.join(', ')}`);
    if (peer.endpoint) lines.push(`Endpoint = ${peer.endpoint}`);
    if (peer.persistentKeepalive !== undefined)
      lines.push(`PersistentKeepalive = ${peer.persistentKeepalive}`);
  }
  const text = `${lines.join('\n')}\n`;
  check(text);
  return text;
}

const invalid = (line: number, message: string) =>
  new WireGuardError(WireGuardErrorCode.InvalidConfig, `line ${line}: ${message}`, { details: { line } });

function cidr(value: string, line: number): string {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(value);
  const family = m ? isIP(m[1]!) : 0;
  if (!m || !family || Number(m[2]) > (family === 4 ? 32 : 128))
    throw invalid(line, `${JSON.stringify(value)} is not an address with a prefix such as 10.1.0.2/32`);
  return value;
}

function port(value: string, line: number, what: string, min = 0): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) < min || Number(value) > 65535)
    throw invalid(line, `${what} must be a number from ${min} to 65535`);
  return Number(value);
}

function key(value: string, line: number, what: string): WireGuardKey {
  if (!isWireGuardKey(value)) throw invalid(line, `${what} is not a WireGuard key (44 characters of base64)`);
  return value;
}

const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/;

function endpoint(value: string, line: number): string {
  const m = HOST.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535)
    throw invalid(line, `Endpoint ${JSON.stringify(value)} is not host:port`);
  return value;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

/**
 * Reads a wg-quick configuration. Only the keys that describe the tunnel are accepted; anything
 * else (PostUp and its kin run commands as root) is refused with the line it is on.
 */
export function parseWgQuick(text: string): WgQuickConfig {
  if (text.length > 1_000_000) throw invalid(0, 'the configuration is larger than 1 MB');
  let section: 'none' | 'interface' | 'peer' = 'none';
  let iface: Partial<WgQuickConfig['interface']> | undefined;
  const peers: Partial<WgQuickPeer>[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (!line) continue;
    if (/^\[interface\]$/i.test(line)) {
      if (iface) throw invalid(n, 'a second [Interface] section');
      iface = { addresses: [], dns: [] };
      section = 'interface';
      seen.clear();
      continue;
    }
    if (/^\[peer\]$/i.test(line)) {
      peers.push({ allowedIps: [] });
      section = 'peer';
      seen.clear();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw invalid(n, 'expected a [section] or Key = value');
    const name = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    const repeatable = name === 'address' || name === 'dns' || name === 'allowedips';
    if (!repeatable && seen.has(name)) throw invalid(n, `${line.slice(0, eq).trim()} is given twice`);
    seen.add(name);
    if (section === 'interface' && iface) {
      switch (name) {
        case 'privatekey':
          iface.privateKey = key(value, n, 'PrivateKey');
          break;
        case 'address':
          iface.addresses!.push(...list(value).map((v) => cidr(v, n)));
          break;
        case 'dns':
          for (const v of list(value)) {
            if (!/^[A-Za-z0-9.:-]{1,253}$/.test(v))
              throw invalid(n, `DNS ${JSON.stringify(v)} is not an address or domain`);
            iface.dns!.push(v);
          }
          break;
        case 'listenport':
          iface.listenPort = port(value, n, 'ListenPort');
          break;
        case 'mtu':
          if (!/^\d{3,5}$/.test(value) || Number(value) < 576 || Number(value) > 65535)
            throw invalid(n, 'MTU must be a number from 576 to 65535');
          iface.mtu = Number(value);
          break;
        default:
          throw invalid(n, `${line.slice(0, eq).trim()} is not supported in [Interface]`);
      }
      continue;
    }
    const peer = peers[peers.length - 1];
    if (section === 'peer' && peer) {
      switch (name) {
        case 'publickey':
          peer.publicKey = key(value, n, 'PublicKey');
          break;
        case 'presharedkey':
          peer.presharedKey = key(value, n, 'PresharedKey');
          break;
        case 'allowedips':
          peer.allowedIps!.push(...list(value).map((v) => cidr(v, n)));
          break;
        case 'endpoint':
          peer.endpoint = endpoint(value, n);
          break;
        case 'persistentkeepalive':
          peer.persistentKeepalive = value === 'off' ? 0 : port(value, n, 'PersistentKeepalive');
          break;
        default:
          throw invalid(n, `${line.slice(0, eq).trim()} is not supported in [Peer]`);
      }
      continue;
    }
    throw invalid(n, 'a key before any [Interface] or [Peer] section');
  }
  if (!iface) throw invalid(0, 'no [Interface] section');
  if (!iface.privateKey) throw invalid(0, '[Interface] has no PrivateKey');
  const result: WgQuickConfig = {
    interface: {
      privateKey: iface.privateKey,
      addresses: iface.addresses ?? [],
      dns: iface.dns ?? [],
      ...(iface.listenPort !== undefined ? { listenPort: iface.listenPort } : {}),
      ...(iface.mtu !== undefined ? { mtu: iface.mtu } : {}),
    },
    peers: peers.map((p, index) => {
      if (!p.publicKey) throw invalid(0, `[Peer] number ${index + 1} has no PublicKey`);
      return {
        publicKey: p.publicKey,
        allowedIps: p.allowedIps ?? [],
        ...(p.presharedKey ? { presharedKey: p.presharedKey } : {}),
        ...(p.endpoint ? { endpoint: p.endpoint } : {}),
        ...(p.persistentKeepalive !== undefined ? { persistentKeepalive: p.persistentKeepalive } : {}),
      };
    }),
  };
  return result;
}
