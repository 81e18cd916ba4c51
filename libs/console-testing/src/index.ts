export { ADMIN, ConsoleHarness, call, login } from './console-harness';
export {
  addVirtualAuthenticator,
  eventually,
  field,
  fieldError,
  labelled,
  launchChromium,
  select,
  seriousViolations,
} from './console-page';
export { NetworkLab, gatewayInNamespaceArgs } from './network-lab';
export { TestOidcProvider, type ProviderAccount } from './oidc-provider';
export { PlatformProcess, type ProcessMemory } from './platform-process';
