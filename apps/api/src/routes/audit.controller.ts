import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { AuditQuery } from '../http/bodies';
import { auditJson, pageJson } from '../http/mappers';
import { query } from '../http/request';
import { AUDIT, type AuditClient } from './tokens';

@Controller('api/v1/audit')
export class AuditController {
  constructor(@Inject(AUDIT) private readonly audit: AuditClient) {}

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    return pageJson(
      await this.audit.request('audit.list', { principal, ...query(AuditQuery, raw) }),
      auditJson,
    );
  }

  /** Every matching entry as NDJSON, one per line, streamed page by page (newest first). */
  @Get('export')
  async export(@Caller() principal: Principal, @Query() raw: unknown, @Res() reply: FastifyReply) {
    const filter = query(AuditQuery, raw);
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
    const { Readable } = await import('node:stream');
    return reply.send(Readable.from(lines()));
  }
}
