export { ADMIN, ConsoleHarness, call, login } from './console-harness';
export { PlatformProcess, type ProcessMemory } from './platform-process';
