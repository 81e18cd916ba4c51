import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditRequests, requireRole } from '@rustronaut/contracts';
import { parseRequest } from '@rustronaut/messaging';
import { AccessLogQueries } from './access-log.queries';
import { AuditQueries } from './audit.queries';

@Controller()
export class AuditController {
  constructor(
    @Inject(AuditQueries) private readonly queries: AuditQueries,
    @Inject(AccessLogQueries) private readonly accessLog: AccessLogQueries,
  ) {}

  @MessagePattern('audit.list')
  list(@Payload() payload: unknown) {
    const { principal, ...filter } = parseRequest(AuditRequests['audit.list'], payload);
    requireRole(principal, 'admin');
    return this.queries.list({ ...filter, orgId: principal.orgId });
  }

  /** The gateways' access log: admins, their own org only. */
  @MessagePattern('audit.access.list')
  accessList(@Payload() payload: unknown) {
    const { principal, ...filter } = parseRequest(AuditRequests['audit.access.list'], payload);
    requireRole(principal, 'admin');
    return this.accessLog.list({ ...filter, orgId: principal.orgId });
  }
}
