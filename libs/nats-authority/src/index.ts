export {
  NatsAuthority,
  gatewayInboxPrefix,
  gatewayPermissions,
  type NatsAuthoritySeeds,
} from './nats-authority';
export { loadNatsAuthority } from './nats-authority-store';
