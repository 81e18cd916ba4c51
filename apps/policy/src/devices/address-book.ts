import type { PlatformEvent } from '@rustronaut/contracts';

/**
 * A site's device addresses and keys as the first devices claimed them (the `site_addresses`
 * aggregate, before the event store's reservations): read once, as the reservations' legacy. Pure.
 */
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
