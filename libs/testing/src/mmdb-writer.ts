import { writeFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';

/**
 * A minimal MaxMind DB (format 2.0) writer, for tests that need a GeoIP database of their own.
 *
 * The file is three parts (https://maxmind.github.io/MaxMind-DB/):
 * 1. a binary search tree over the address bits (IPv6 tree, 128 bits deep; IPv4 networks sit under
 *    `::/96` as readers expect), each node two 24-bit records: a record below the node count points
 *    at a node, equal to it means "no data", above it points into the data section
 *    (`value - nodeCount - 16` is the offset there);
 * 2. 16 zero bytes, then the data section: one encoded value per distinct record;
 * 3. the metadata marker `\xAB\xCD\xEFMaxMind.com` and a map describing the tree.
 *
 * Supported values: strings, unsigned integers (below 2^32), booleans, maps and arrays — enough for
 * a country database (`{ country: { iso_code: 'DE' } }`). Networks must not overlap.
 */
export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** `127.0.0.2/32`, `2001:db8::/32`. */
  cidr: string;
  data: MmdbValue;
}

/** A country database in the GeoLite2-Country shape: `{ 'cidr': 'DE', … }`. */
export function countryDatabase(countries: Record<string, string>): Buffer {
  return buildMmdb(
    Object.entries(countries).map(([cidr, iso]) => ({ cidr, data: { country: { iso_code: iso } } })),
    'GeoLite2-Country',
  );
}

export function writeCountryDatabase(path: string, countries: Record<string, string>): void {
  writeFileSync(path, countryDatabase(countries));
}

type Node = [Node | number | null, Node | number | null];

export function buildMmdb(networks: readonly MmdbNetwork[], databaseType = 'rustronaut-test'): Buffer {
  // Data section: each network's value encoded once.
  const data: Buffer[] = [];
  let dataSize = 0;
  const root: Node = [null, null];
  for (const network of networks) {
    const encoded = encode(network.data);
    const offset = dataSize;
    data.push(encoded);
    dataSize += encoded.length;
    const [bits, length] = bitsOf(network.cidr);
    let node = root;
    for (let depth = 0; depth < length - 1; depth++) {
      const side = bits[depth]!;
      const next = node[side];
      if (typeof next === 'number') throw new Error(`${network.cidr} overlaps another network`);
      node = next ?? (node[side] = [null, null]);
    }
    if (node[bits[length - 1]!] !== null) throw new Error(`${network.cidr} overlaps another network`);
    node[bits[length - 1]!] = offset;
  }
  // Number the nodes breadth first (the root is node 0).
  const nodes: Node[] = [root];
  const index = new Map<Node, number>([[root, 0]]);
  for (let i = 0; i < nodes.length; i++)
    for (const child of nodes[i]!)
      if (child !== null && typeof child !== 'number') {
        index.set(child, nodes.length);
        nodes.push(child);
      }
  const nodeCount = nodes.length;
  const record = (value: Node | number | null): number =>
    value === null ? nodeCount : typeof value === 'number' ? nodeCount + 16 + value : index.get(value)!;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach((node, i) => {
    tree.writeUIntBE(record(node[0]), i * 6, 3);
    tree.writeUIntBE(record(node[1]), i * 6 + 3, 3);
  });
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 6,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: Math.floor(Date.now() / 1000),
    description: { en: 'Rustronaut test database' },
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'),
    metadata,
  ]);
}

/** The network's address bits in a 128-bit tree (IPv4 under ::/96) and its prefix length there. */
function bitsOf(cidr: string): [number[], number] {
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  const bytes =
    address.kind() === 'ipv4'
      ? [...new Array<number>(12).fill(0), ...address.toByteArray()]
      : address.toByteArray();
  const length = address.kind() === 'ipv4' ? prefix + 96 : prefix;
  if (length === 0) throw new Error('a network of the whole address space is not supported');
  const bits = bytes.flatMap((byte) => [7, 6, 5, 4, 3, 2, 1, 0].map((shift) => (byte >> shift) & 1));
  return [bits, length];
}

// Data section types (the control byte's top three bits; 0 means "extended": the type - 7 follows).
const UTF8 = 2;
const MAP = 7;
const UINT16 = 5;
const UINT32 = 6;
const UINT64 = 9;
const ARRAY = 11;
const BOOLEAN = 14;

function encode(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(UTF8, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(BOOLEAN, value ? 1 : 0);
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 2 ** 53)
      throw new Error(`unsupported number ${value}`);
    const type = value < 2 ** 16 ? UINT16 : value < 2 ** 32 ? UINT32 : UINT64;
    const bytes: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(ARRAY, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([
    control(MAP, entries.length),
    ...entries.flatMap(([key, v]) => [encode(key), encode(v)]),
  ]);
}

/** The control byte(s): type and size, with the size's extension bytes. */
function control(type: number, size: number): Buffer {
  const head: number[] = [];
  let sizeBits: number;
  let extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 285) [sizeBits, extra] = [29, [size - 29]];
  else if (size < 65_821) [sizeBits, extra] = [30, [(size - 285) >> 8, (size - 285) & 0xff]];
  else throw new Error('value too large for this writer');
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...extra]);
}
