import { DomainError } from '@rustronaut/contracts';

/** Codes raised about WireGuard devices (see docs/errors.md). */
export enum DeviceErrorCode {
  KeyInUse = 'DEVICE_KEY_IN_USE',
  Busy = 'DEVICE_ADDRESS_BUSY',
  /** Internal: the chosen address went to another device meanwhile (the next free one is tried). */
  AddressTaken = 'DEVICE_ADDRESS_TAKEN',
}

export class DeviceError extends DomainError<DeviceErrorCode> {}
