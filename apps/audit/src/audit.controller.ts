import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditRequests, requireRole } from '@rustronaut/contracts';
import { parseRequest } from '@rustronaut/messaging';
import { AuditQueries } from './audit.queries';

@Controller()
export class AuditController {
  constructor(@Inject(AuditQueries) private readonly queries: AuditQueries) {}

  @MessagePattern('audit.list')
  list(@Payload() payload: unknown) {
    const { principal, ...filter } = parseRequest(AuditRequests['audit.list'], payload);
    requireRole(principal, 'admin');
    return this.queries.list({ ...filter, orgId: principal.orgId });
  }
}
