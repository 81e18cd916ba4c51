import { z } from 'zod';
export { ACCESS_STREAM_NAME, ACCESS_SUBJECT_ROOT, accessLogSubject } from '../subjects';

/** What a gateway decided on a request. `failed`: admitted, but the target or the gateway could not answer. */
export const AccessDecisionSchema = z.enum(['allowed', 'refused', 'failed']);
export type AccessDecision = z.infer<typeof AccessDecisionSchema>;

/** Which part of the data path decided. */
export const AccessDeciderSchema = z.enum([
  'route', // no resource at this host and path
  'firewall',
  'rate_limit',
  'size_limit', // a body over the resource's limit (413), a head over the gateway's (431)
  'bot_challenge', // an automated-looking request without a solved challenge
  'authentication',
  'policy',
  'public', // a resource that needs no sign-in
  'target', // the target failed (502, 504, none usable)
  'gateway', // the gateway itself could not check the request
]);
export type AccessDecider = z.infer<typeof AccessDeciderSchema>;

const Text = (max: number) => z.string().max(max);

/** One request as a gateway saw it, on the wire (org and gateway come from the subject, not from here). */
export const AccessRecordSchema = z.object({
  id: z.string().min(1).max(80),
  at: z.iso.datetime({ offset: true }),
  siteId: Text(128).nullable(),
  resourceId: Text(128).nullable(),
  userId: Text(128).nullable(),
  email: Text(320).nullable(),
  ip: Text(64),
  method: Text(32),
  host: Text(255),
  path: Text(2048),
  status: z.number().int().min(0).max(999),
  decision: AccessDecisionSchema,
  decidedBy: AccessDeciderSchema,
  ruleId: Text(128).nullable(),
  ruleName: Text(200).nullable(),
  reason: Text(500).nullable(),
  admissionMs: z.number().min(0),
  totalMs: z.number().min(0),
  bytesIn: z.number().int().min(0),
  bytesOut: z.number().int().min(0),
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullable(),
});
export type AccessRecordWire = z.infer<typeof AccessRecordSchema>;

/** One JetStream message: a batch of records of one org, from one gateway. */
export const AccessBatchSchema = z.object({ records: z.array(AccessRecordSchema).max(5000) });

/** A stored record, as the API serves it. */
export interface AccessRecordView extends AccessRecordWire {
  orgId: string;
  gatewayId: string;
}

export const AccessLogFilterSchema = z.object({
  resource: z.string().max(128).optional(),
  /** A user id or an email. */
  user: z.string().max(320).optional(),
  decision: AccessDecisionSchema.optional(),
  status: z.number().int().min(100).max(599).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
