export {
  BoundServiceSchema,
  HANDSHAKE_MAGIC,
  HelloSchema,
  MAX_HANDSHAKE_FRAME,
  OfferedServiceSchema,
  TUNNEL_PROTOCOL_VERSIONS,
  encodeFrame,
  negotiateVersion,
  readFrame,
  type BoundService,
  type FrameResult,
  type HandshakeMessage,
  type Hello,
  type OfferedService,
  type Refused,
  type Welcome,
} from './handshake';
export { HandshakeError, receiveHandshake } from './handshake-io';
export { DatagramReader, MAX_DATAGRAM, encodeDatagram } from './datagrams';
export {
  Tunnel,
  TunnelServer,
  TunnelStreamError,
  EVENTS_AUTHORITY,
  datagramFlowOver,
  TUNNEL_PATH,
  TUNNEL_UPGRADE,
  type RequestReport,
  type DatagramFlow,
  type TunnelAdmission,
  type TunnelServerOptions,
} from './tunnel-server';
export {
  FORWARD_PATH,
  FORWARD_UPGRADE,
  TunnelClient,
  dialForward,
  type ForwardOptions,
  type LocalService,
  type StreamInfo,
  type TunnelClientOptions,
} from './tunnel-client';
