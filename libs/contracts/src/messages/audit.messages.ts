import { z } from 'zod';
import { AccessLogFilterSchema, type AccessRecordView } from './access-log.messages';
import { PrincipalSchema } from './principal';

export const AuditRequests = {
  'audit.list': z.object({
    principal: PrincipalSchema,
    actor: z.string().max(200).optional(),
    type: z.string().max(100).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  }),
  /** The gateways' access log of the caller's org (admins), newest first. */
  'audit.access.list': AccessLogFilterSchema.extend({ principal: PrincipalSchema }),
} as const;

export interface AuditEntryView {
  id: string;
  sequence: number;
  orgId: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  actor: { kind: string; id: string };
  occurredAt: string;
  traceId: string | null;
  data: Record<string, unknown>;
}

export interface AuditResponses {
  'audit.list': { items: AuditEntryView[]; nextCursor: string | null };
  'audit.access.list': { items: AccessRecordView[]; nextCursor: string | null };
}
