/**
 * Parsers for Linux's socket tables (/proc/net/tcp, tcp6, udp, udp6): one line per socket, with
 * the local address as hex (IPv4: one 32-bit word, IPv6: four, each in the kernel's byte order;
 * the port big-endian), the state (0A = LISTEN for TCP, 07 = unconnected for UDP) and the inode
 * that links the socket to the processes holding it (/proc/<pid>/fd/* → `socket:[inode]`).
 */

export type Transport = 'tcp' | 'udp';

export interface SocketEntry {
  transport: Transport;
  address: string;
  port: number;
  state: number;
  inode: number;
}

export const TCP_LISTEN = 0x0a;
export const UDP_UNCONNECTED = 0x07;

/**
 * Every well-formed line of one table (the header and malformed lines are skipped). `littleEndian`
 * is the kernel's byte order, the machine's own (os.endianness()).
 */
export function parseSocketTable(text: string, transport: Transport, littleEndian = true): SocketEntry[] {
  const entries: SocketEntry[] = [];
  for (const line of text.split('\n')) {
    // sl, local, remote, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode, …
    const [sl = '', localText = '', , stateText = '', , , , , , inodeText = ''] = line.trim().split(/\s+/);
    const local = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(localText);
    if (!/^\d+:$/.test(sl) || !local || !/^[0-9A-Fa-f]{2}$/.test(stateText) || !/^\d+$/.test(inodeText))
      continue;
    const [, hexAddress = '', hexPort = ''] = local;
    entries.push({
      transport,
      address: decodeAddress(hexAddress, littleEndian),
      port: parseInt(hexPort, 16),
      state: parseInt(stateText, 16),
      inode: Number(inodeText),
    });
  }
  return entries;
}

/** The hex address of a socket table as text: `127.0.0.1`, `::1`, `::ffff:10.0.0.1`. */
export function decodeAddress(hex: string, littleEndian = true): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const value = Buffer.from(hex.slice(word, word + 8), 'hex');
    if (littleEndian) value.reverse();
    bytes.push(...value);
  }
  if (bytes.length === 4) return bytes.join('.');
  return formatIpv6(bytes);
}

function formatIpv6(bytes: number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) =>
    (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
  );
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start === -1) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

/** The inode of a `/proc/<pid>/fd/<n>` link target when it is a socket (`socket:[12345]`). */
export function socketInode(linkTarget: string): number | undefined {
  const match = /^socket:\[(\d+)\]$/.exec(linkTarget);
  return match ? Number(match[1]) : undefined;
}
