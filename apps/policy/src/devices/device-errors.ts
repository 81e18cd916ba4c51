import { DomainError } from '@rustronaut/contracts';

/** Codes raised about WireGuard devices (see docs/errors.md). */
export enum DeviceErrorCode {
  KeyInUse = 'DEVICE_KEY_IN_USE',
  Busy = 'DEVICE_ADDRESS_BUSY',
}

export class DeviceError extends DomainError<DeviceErrorCode> {}
