export { WireGuardError, WireGuardErrorCode } from './errors';
export {
  generateKeyPair,
  hexToKey,
  isWireGuardKey,
  keyToHex,
  publicKeyOf,
  type WireGuardKey,
  type WireGuardKeyPair,
} from './keys';
export {
  encodeSet,
  parseGet,
  replyErrno,
  type DeviceChange,
  type DeviceStatus,
  type PeerChange,
  type PeerStatus,
} from './uapi-protocol';
export { UapiClient, UAPI_SOCKET_DIR, uapiSocketPath } from './uapi-client';
export { diffPeers, type DesiredPeer, type PeerDiff } from './peer-diff';
export { parseWgQuick, renderWgQuick, type WgQuickConfig, type WgQuickPeer } from './wg-quick';
export { qrPng, qrSvg, qrTerminal } from './qr';
export { kernelDevice, uapiDevice, type WireGuardDevice } from './device';
export { runCommand } from './commands';
export { addressOfSubnet, gatewayAddress, nextFreeAddress } from './site-addresses';
