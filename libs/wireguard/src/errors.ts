import { DomainError } from '@rustronaut/contracts/edge';

/** What can go wrong managing WireGuard: each code is listed in docs/errors.md. */
export enum WireGuardErrorCode {
  InvalidKey = 'WIREGUARD_INVALID_KEY',
  InvalidConfig = 'WIREGUARD_INVALID_CONFIG',
  InvalidPeer = 'WIREGUARD_INVALID_PEER',
  Uapi = 'WIREGUARD_UAPI_ERROR',
  Unavailable = 'WIREGUARD_UNAVAILABLE',
  SubnetFull = 'WIREGUARD_SUBNET_FULL',
}

export class WireGuardError extends DomainError<WireGuardErrorCode> {}
