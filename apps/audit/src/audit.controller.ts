import { AuditRequests, requireRole, type AuditResponses } from '@rustronaut/contracts';
import { messageHandlers, type MessageHandlers } from '@rustronaut/messaging';
import { AccessLogQueries } from './access-log.queries';
import { AuditQueries } from './audit.queries';

/** The audit service's NATS request/reply: admins read their own org's audit trail and access log. */
export const AuditController = messageHandlers(
  'AuditController',
  AuditRequests,
  [AuditQueries, AccessLogQueries],
  (
    queries: AuditQueries,
    accessLog: AccessLogQueries,
  ): MessageHandlers<typeof AuditRequests, AuditResponses> => ({
    'audit.list': ({ principal, ...filter }) => {
      requireRole(principal, 'admin');
      return queries.list({ ...filter, orgId: principal.orgId });
    },
    /** The gateways' access log: admins, their own org only. */
    'audit.access.list': ({ principal, ...filter }) => {
      requireRole(principal, 'admin');
      return accessLog.list({ ...filter, orgId: principal.orgId });
    },
  }),
);
