import { z } from 'zod';
import { DomainError } from '../domain-error';
import type { Actor } from '../envelope';
import { RoleSchema, type Role } from '../events/identity.events';

/** Who is calling, as the API authenticated them: a user's session or an API key. */
export const PrincipalSchema = z.object({
  kind: z.enum(['user', 'api_key']),
  /** The user id, or the API key id. */
  id: z.string(),
  orgId: z.string(),
  role: RoleSchema,
  /** The user acting: for an API key, its owner. */
  userId: z.string(),
  sessionId: z.string().optional(),
});
export type Principal = z.infer<typeof PrincipalSchema>;

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

/** True when `role` carries at least the powers of `required`. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

/** Codes for who may do what, shared by every service and the API (see docs/errors.md). */
export enum AccessErrorCode {
  /** No credentials, or credentials that are not valid (HTTP 401). */
  Unauthenticated = 'AUTH_UNAUTHENTICATED',
  /** Valid credentials without the power to do this (HTTP 403). */
  Forbidden = 'AUTH_FORBIDDEN',
}

export class AccessError extends DomainError<AccessErrorCode> {}

export const forbidden = (message: string) => new AccessError(AccessErrorCode.Forbidden, message);

/** Throws AUTH_FORBIDDEN unless the principal's role carries at least `required`. */
export function requireRole(principal: Principal, required: Role): void {
  if (!roleAtLeast(principal.role, required)) {
    throw forbidden(`this needs the ${required} role or higher; you have ${principal.role}`);
  }
}

/** The actor recorded on the events a principal causes. */
export function actorOf(principal: Principal): Actor {
  return { kind: principal.kind, id: principal.id };
}
