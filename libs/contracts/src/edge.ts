/**
 * The contracts a gateway runs with, without a schema: `@rustronaut/contracts/edge`. The package's
 * main entry also builds every event's and message's zod schema when it is imported (about 4 MB
 * resident in a gateway that validates none of them); the gateway and the libs of its data path
 * take their values from here. Types may come from either entry (they cost nothing at run time).
 */
export { DomainError, isDomainError } from './domain-error';
export {
  gatewayControlSubject,
  gatewayReportSubject,
  gatewaySettingsSubject,
  accessLogSubject,
} from './subjects';
export * from './net';
export { patternProblem, userAgentPatternOf } from './patterns';
export * from './config/site-snapshot';
export { accessSecretMatches, shareTokenSha256 } from './access-secrets';
export { parseSecret, secretMatches } from './secrets';
export { DEFAULT_MAX_BODY_BYTES } from './defaults';
export { keyKindOf } from './token-keys';
export type { FirewallRule, PolicyData } from './events/policy.events';
export type { Role } from './events/identity.events';
export type { GatewayAssignment, GatewayReport } from './messages/gateway.messages';
export type { IssuerJwk, SnapshotTokenIssuer, TokenAlgorithm } from './token-issuers';
