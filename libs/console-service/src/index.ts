export { openServiceState, type ServiceState } from './service-state';
