import type { PlatformEventDefinition, Principal, Role } from '@rustronaut/contracts';
import type { EventStore, ProjectionRunner } from '@rustronaut/eventstore';
import type { PolicyQueries } from '../read-model/policy.queries';

/** What the policy use cases work with; built once in policy.service.ts. */
export interface PolicyDeps {
  store: EventStore<PlatformEventDefinition>;
  readModel: ProjectionRunner<PlatformEventDefinition>;
  queries: PolicyQueries;
  /** The role and groups of a user of the caller's organisation (for simulate). */
  userAccess(principal: Principal, userId: string): Promise<{ role: Role; groups: string[] }>;
  clock: () => Date;
  /** RN_SECRETS_KEY: seals the HMAC keys of trusted token issuers; undefined when not configured. */
  secretsKey?: Buffer | undefined;
}
