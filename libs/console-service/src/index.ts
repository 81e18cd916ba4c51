export { openServiceState, type ServiceState } from './service-state';
export {
  runConsoleServices,
  startConsoleServices,
  type ConsoleServiceDefinition,
  type RunningConsoleServices,
} from './run-console-services';
