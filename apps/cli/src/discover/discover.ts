import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { CliError, CliErrorCode } from '../errors';
import { parseSocketTable, socketInode, TCP_LISTEN, UDP_UNCONNECTED, type Transport } from './proc-net';

/** A service listening on this machine (TCP in LISTEN, UDP bound and unconnected). */
export interface LocalListener {
  protocol: Transport;
  address: string;
  port: number;
  pid: number | null;
  process: string | null;
}

export interface Discovery {
  listeners: LocalListener[];
  /** Some processes could not be inspected (other users'): their sockets show no process. */
  unreadableProcesses: number;
}

const TABLES: { file: string; transport: Transport }[] = [
  { file: 'tcp', transport: 'tcp' },
  { file: 'tcp6', transport: 'tcp' },
  { file: 'udp', transport: 'udp' },
  { file: 'udp6', transport: 'udp' },
];

/**
 * The listening services of this machine with their processes, from /proc (Linux): the socket
 * tables give address, port and inode; each process's fd links give which inodes it holds.
 * Synchronous reads on purpose: thousands of tiny procfs reads are faster without the thread pool.
 */
export function discoverLocalServices(
  procRoot = '/proc',
  platform: NodeJS.Platform = process.platform,
): Discovery {
  if (platform !== 'linux')
    throw new CliError(
      CliErrorCode.NotSupported,
      `discover is not supported on ${platform} yet (it reads Linux's /proc)`,
      platform === 'darwin'
        ? 'list listening services with `lsof -nP -iTCP -sTCP:LISTEN`'
        : 'list them with `netstat -ano`',
    );
  const littleEndian = endianness() === 'LE';
  const sockets = TABLES.flatMap(({ file, transport }) => {
    let text: string;
    try {
      text = readFileSync(join(procRoot, 'net', file), 'utf8');
    } catch {
      return []; // no IPv6 in this kernel, for instance
    }
    return parseSocketTable(text, transport, littleEndian).filter((s) =>
      s.transport === 'tcp' ? s.state === TCP_LISTEN : s.state === UDP_UNCONNECTED && s.port !== 0,
    );
  });
  const wanted = new Set(sockets.map((s) => s.inode));
  const { owners, unreadable } = socketOwners(procRoot, wanted);
  const seen = new Set<string>();
  const listeners: LocalListener[] = [];
  for (const socket of sockets) {
    const key = `${socket.transport} ${socket.address} ${socket.port}`;
    if (seen.has(key)) continue; // SO_REUSEPORT: several sockets, one service
    seen.add(key);
    const owner = owners.get(socket.inode);
    listeners.push({
      protocol: socket.transport,
      address: socket.address,
      port: socket.port,
      pid: owner?.pid ?? null,
      process: owner?.name ?? null,
    });
  }
  listeners.sort(
    (a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol) || a.address.localeCompare(b.address),
  );
  return { listeners, unreadableProcesses: unreadable };
}

/** Which process (the lowest pid, for sockets shared after a fork) holds each wanted socket inode. */
function socketOwners(
  procRoot: string,
  wanted: Set<number>,
): { owners: Map<number, { pid: number; name: string }>; unreadable: number } {
  const owners = new Map<number, { pid: number; name: string }>();
  let unreadable = 0;
  const pids = readdirSync(procRoot)
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .sort((a, b) => a - b);
  for (const pid of pids) {
    if (owners.size === wanted.size) break;
    let fds: string[];
    try {
      fds = readdirSync(join(procRoot, String(pid), 'fd'));
    } catch {
      unreadable++;
      continue;
    }
    let name: string | undefined;
    for (const fd of fds) {
      let inode: number | undefined;
      try {
        inode = socketInode(readlinkSync(join(procRoot, String(pid), 'fd', fd)));
      } catch {
        continue; // closed while we looked
      }
      if (inode === undefined || !wanted.has(inode) || owners.has(inode)) continue;
      name ??= processName(procRoot, pid);
      owners.set(inode, { pid, name });
    }
  }
  return { owners, unreadable };
}

function processName(procRoot: string, pid: number): string {
  try {
    return readFileSync(join(procRoot, String(pid), 'comm'), 'utf8').trim();
  } catch {
    return '?';
  }
}
