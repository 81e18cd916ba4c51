import { z } from 'zod';
import {
  AccessDecisionSchema,
  EmailSchema as Email,
  NameSchema as Name,
  PasswordSchema as Password,
  RoleSchema,
} from '@rustronaut/contracts';

/** Request bodies and query strings of the REST API (snake_case, as clients send them). */

export const LoginBody = z.strictObject({
  email: Email,
  password: z.string().min(1).max(1024),
  totp: z
    .string()
    .regex(/^\d{6}$/, 'must be 6 digits')
    .optional(),
});
export const PinBody = z.strictObject({ pin: z.string().regex(/^\d{4,12}$/, 'must be 4 to 12 digits') });
export const PasswordBody = z.strictObject({ password: z.string().min(8).max(200) });
export const ShareLinkBody = z.strictObject({
  expires_in_s: z
    .number()
    .int()
    .min(1)
    .max(90 * 24 * 3600),
});
export const ResourceHandoffBody = z.strictObject({
  return_url: z.string().min(1).max(2000),
  /** Keep the bearer access token in the console's sign-in cookie (the login page after a password). */
  remember: z.boolean().default(false),
});
export const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(500) });
export const CreateUserBody = z.strictObject({
  email: Email,
  name: Name,
  password: Password,
  role: RoleSchema.default('member'),
});
export const UpdateUserBody = z.strictObject({
  email: Email.optional(),
  name: Name.optional(),
  password: Password.optional(),
  role: RoleSchema.optional(),
});
export const CreateApiKeyBody = z.strictObject({
  name: Name,
  role: RoleSchema.default('member'),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});
export const CreateGroupBody = z.strictObject({ name: Name });
export const UpdateGroupBody = z.strictObject({ name: Name });
export const AddMemberBody = z.strictObject({ user_id: z.string().min(1).max(64) });
export const CreateOrgBody = z.strictObject({
  name: Name,
  owner: z.strictObject({ email: Email, name: Name, password: Password }),
});
export const UpdateOrgBody = z.strictObject({ name: Name });
/** The first run: the organisation's name and its first owner (the console's first-run page). */
export const SetupBody = z.strictObject({ organization: Name, email: Email, name: Name, password: Password });
export const EnableTotpBody = z.strictObject({
  secret: z.string().min(16).max(128),
  code: z.string().regex(/^\d{6}$/, 'must be 6 digits'),
});

export const PageQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const AuditQuery = z.object({
  actor: z.string().max(200).optional(),
  type: z.string().max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Filters of the gateways' access log. */
export const AccessLogQuery = z.strictObject({
  resource: z.string().max(128).optional(),
  user: z.string().max(320).optional().describe('a user id or an email'),
  decision: AccessDecisionSchema.optional(),
  status: z.coerce.number().int().min(100).max(599).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
