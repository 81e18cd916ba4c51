import type { PlatformEvent } from '@rustronaut/contracts';
import { nextFreeAddress } from '@rustronaut/wireguard';
import { DeviceError, DeviceErrorCode } from './device-errors';

export { gatewayAddress, nextFreeAddress } from '@rustronaut/wireguard';

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
