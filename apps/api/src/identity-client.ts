import type {
  AuditRequests,
  AuditResponses,
  IdentityRequest,
  IdentityRequests,
  IdentityResponses,
} from '@rustronaut/contracts';
import type { ServiceClient } from '@rustronaut/messaging';
import type { z } from 'zod';

export type IdentityClient = ServiceClient<
  { [P in keyof typeof IdentityRequests]: IdentityRequest<P> },
  IdentityResponses
>;
export type AuditClient = ServiceClient<
  { [P in keyof typeof AuditRequests]: z.input<(typeof AuditRequests)[P]> },
  AuditResponses
>;
