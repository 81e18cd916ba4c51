export { MessagingError, MessagingErrorCode, RemoteError } from './errors';
export { parseRequest, type FieldIssue } from './validation';
export { messageHandlers, type MessageHandlers } from './message-handlers';
export { ServiceClient } from './service-client';
export { HANDLER_LOGGER, type HandlerLogger } from './service-handler';
export { connectNats, natsTransportOptions } from './transport-options';
export type {
  AuditClient,
  DeviceClient,
  DistributorClient,
  IdentityClient,
  PolicyClient,
  RegistryClient,
} from './clients';
