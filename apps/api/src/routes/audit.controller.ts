import { Readable } from 'node:stream';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { AuditQuery } from '../http/bodies';
import { Endpoint, ValidQuery } from '../http/endpoint';
import { auditJson, pageJson } from '../http/mappers';
import { AuditEntryJson, AuditPageJson } from '../http/responses';
import { AUDIT, type AuditClient } from './tokens';

@Controller('api/v1/audit')
export class AuditController {
  constructor(@Inject(AUDIT) private readonly audit: AuditClient) {}

  @Get()
  @Endpoint({
    summary: 'Audit log, newest first, with filters and a cursor',
    tag: 'audit',
    query: AuditQuery,
    response: AuditPageJson,
  })
  async list(@Caller() principal: Principal, @ValidQuery() filter: z.output<typeof AuditQuery>) {
    return pageJson(await this.audit.request('audit.list', { principal, ...filter }), auditJson);
  }

  /** Every matching entry as NDJSON, one per line, streamed page by page (newest first). */
  @Get('export')
  @Endpoint({
    summary: 'The matching audit log as NDJSON',
    tag: 'audit',
    query: AuditQuery,
    response: AuditEntryJson,
    produces: 'application/x-ndjson',
  })
  async export(
    @Caller() principal: Principal,
    @ValidQuery() filter: z.output<typeof AuditQuery>,
    @Res() reply: FastifyReply,
  ) {
    const first = await this.audit.request('audit.list', { principal, ...filter, limit: 1000 });
    void reply.header('content-type', 'application/x-ndjson; charset=utf-8');
    const audit = this.audit;
    async function* lines() {
      let page = first;
      for (;;) {
        for (const entry of page.items) yield `${JSON.stringify(auditJson(entry))}\n`;
        if (!page.nextCursor) return;
        page = await audit.request('audit.list', {
          principal,
          ...filter,
          limit: 1000,
          cursor: page.nextCursor,
        });
      }
    }
    return reply.send(Readable.from(lines()));
  }
}
