export { ADMIN, ConsoleHarness, call, login } from './console-harness';
