import { z } from 'zod';
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
