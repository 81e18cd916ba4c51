import { parseCidr, type PlatformEvent } from '@rustronaut/contracts';
import ipaddr from 'ipaddr.js';
import { DeviceError, DeviceErrorCode } from './device-errors';

/** A site's device addresses and keys, folded from its `site_addresses` aggregate. Pure. */
export interface AddressBook {
  /** device id → its address and public key */
  devices: Map<string, { address: string; publicKey: string }>;
}

export function evolveAddressBook(book: AddressBook | undefined, event: PlatformEvent): AddressBook {
  const devices = new Map(book?.devices ?? []);
  if (event.type === 'DeviceAddressAssigned')
    devices.set(event.data.deviceId, { address: event.data.address, publicKey: event.data.publicKey });
  else if (event.type === 'DeviceAddressReleased') devices.delete(event.data.deviceId);
  return { devices };
}

/** How far into an IPv6 subnet we look for a free address (a /64 is never "full"). */
const MAX_SCAN = 1n << 20n;

function toAddress(value: bigint, family: 'ipv4' | 'ipv6'): string {
  const bytes: number[] = [];
  const width = family === 'ipv4' ? 4 : 16;
  for (let i = width - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

/** The address the site's gateways take: the first host of its subnet. */
export function gatewayAddress(subnet: string): string {
  const range = parseCidr(subnet);
  if (!range) throw new DeviceError(DeviceErrorCode.SubnetFull, `site subnet ${subnet} is not a CIDR`);
  const first = range.last > range.first ? range.first + 1n : range.first;
  return toAddress(first, range.family);
}

/**
 * The lowest free device address of the subnet: the network address, the gateway's (the first
 * host) and, for IPv4, the broadcast address are never given; neither is a taken one.
 */
export function nextFreeAddress(subnet: string, taken: Iterable<string>): string {
  const range = parseCidr(subnet);
  if (!range) throw new DeviceError(DeviceErrorCode.SubnetFull, `site subnet ${subnet} is not a CIDR`);
  const used = new Set([...taken].map((a) => ipaddr.parse(a).toNormalizedString()));
  const last = range.family === 'ipv4' ? range.last - 1n : range.last;
  const end = range.first + 2n + MAX_SCAN < last ? range.first + 2n + MAX_SCAN : last;
  for (let value = range.first + 2n; value <= end; value++) {
    const address = toAddress(value, range.family);
    if (!used.has(ipaddr.parse(address).toNormalizedString())) return address;
  }
  throw new DeviceError(DeviceErrorCode.SubnetFull, `site subnet ${subnet} has no free address left for a device`, {
    details: { subnet },
  });
}

/**
 * Decides a new device's claim in its site's address book: a key is one device's only (a
 * WireGuard interface knows a peer by its key), and the address is the lowest free one.
 */
export function decideAddress(
  subnet: string,
  book: AddressBook | undefined,
  publicKey: string,
): { address: string } {
  for (const device of book?.devices.values() ?? []) {
    if (device.publicKey === publicKey) {
      throw new DeviceError(DeviceErrorCode.KeyInUse, 'this public key is already another device of the site: generate a new key pair');
    }
  }
  return { address: nextFreeAddress(subnet, [...(book?.devices.values() ?? [])].map((d) => d.address)) };
}
