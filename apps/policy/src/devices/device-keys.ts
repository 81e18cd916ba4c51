import { type PlatformEventDefinition } from '@rustronaut/contracts';
import { Reservations, type EventStore, type KeyRef, type KeySpace } from '@rustronaut/eventstore';
import { fold } from '../domain/aggregates';
import { evolveAddressBook } from './address-book';
import { DeviceError, DeviceErrorCode } from './device-errors';

/**
 * The unique keys of devices, as spaces of the event store's reservations, one book per site: a
 * VPN address is one device's, and so is a WireGuard public key (an interface knows a peer by it).
 */
export interface DeviceKeys {
  reservations: Reservations<PlatformEventDefinition>;
  addresses: KeySpace;
  publicKeys: KeySpace;
}

/** What a device holds, by its own aggregate: its address and key while it is not revoked. */
async function deviceHolds(store: EventStore<PlatformEventDefinition>, deviceId: string) {
  const { events } = await store.load({ type: 'device', id: deviceId });
  const registered = events.find((e) => e.type === 'DeviceRegistered');
  if (!registered || registered.type !== 'DeviceRegistered' || events.some((e) => e.type === 'DeviceRevoked'))
    return undefined;
  return registered.data;
}

/** The addresses of a site as the devices' first claims recorded them (before reservations). */
async function legacyAddresses(store: EventStore<PlatformEventDefinition>, siteId: string) {
  const book = fold((await store.load({ type: 'site_addresses', id: siteId })).events, evolveAddressBook);
  return [...(book?.devices ?? [])];
}

export function deviceKeys(store: EventStore<PlatformEventDefinition>, clock: () => Date): DeviceKeys {
  return {
    reservations: new Reservations(store, { clock }),
    addresses: {
      name: 'vpn-address',
      holds: async (owner, key) => (await deviceHolds(store, owner))?.address === key,
      taken: (key) =>
        new DeviceError(DeviceErrorCode.AddressTaken, `address ${key} was just given to another device`),
      async legacy(siteId) {
        return (await legacyAddresses(store, siteId)).map(([owner, d]) => ({
          key: d.address,
          owner,
          orgId: '',
        }));
      },
    },
    publicKeys: {
      name: 'wireguard-key',
      holds: async (owner, key) => (await deviceHolds(store, owner))?.publicKey === key,
      taken: () =>
        new DeviceError(
          DeviceErrorCode.KeyInUse,
          'this public key is already another device of the site: generate a new key pair',
        ),
      async legacy(siteId) {
        return (await legacyAddresses(store, siteId)).map(([owner, d]) => ({
          key: d.publicKey,
          owner,
          orgId: '',
        }));
      },
    },
  };
}

/** A device's keys in its site's books. */
export function deviceRefs(
  keys: DeviceKeys,
  device: { siteId: string; address: string; publicKey: string },
): KeyRef[] {
  return [
    { space: keys.addresses, book: device.siteId, key: device.address },
    { space: keys.publicKeys, book: device.siteId, key: device.publicKey },
  ];
}
