import { DomainError } from '@rustronaut/contracts';

/** Codes raised by the policy service (see docs/errors.md). */
export enum PolicyErrorCode {
  NotFound = 'POLICY_NOT_FOUND',
  DomainTaken = 'POLICY_DOMAIN_TAKEN',
  SubnetOverlap = 'POLICY_SUBNET_OVERLAP',
  PortInUse = 'POLICY_PORT_IN_USE',
  InvalidResource = 'POLICY_INVALID_RESOURCE',
  SiteInUse = 'POLICY_SITE_IN_USE',
  NoSiteForService = 'POLICY_NO_SITE_FOR_SERVICE',
  NoFreePort = 'POLICY_NO_FREE_PORT',
  TunnelNameTaken = 'POLICY_TUNNEL_NAME_TAKEN',
  /** An HMAC key of a token issuer needs RN_SECRETS_KEY to be sealed. */
  SecretsKeyMissing = 'POLICY_SECRETS_KEY_MISSING',
}

export class PolicyError extends DomainError<PolicyErrorCode> {}

export const notFound = (what: string, id: string) =>
  new PolicyError(PolicyErrorCode.NotFound, `${what} ${id} does not exist in your organisation`, {
    details: { id },
  });
