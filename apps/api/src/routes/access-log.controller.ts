import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { AccessLogQuery } from '../http/bodies';
import { accessRecordJson, pageJson } from '../http/mappers';
import { query } from '../http/request';
import { AUDIT, type AuditClient } from './tokens';

/** The gateways' access log, kept by the audit service: admins of the org, their org's records only. */
@Controller('api/v1/access-log')
export class AccessLogController {
  constructor(@Inject(AUDIT) private readonly audit: AuditClient) {}

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    return pageJson(
      await this.audit.request('audit.access.list', { principal, ...query(AccessLogQuery, raw) }),
      accessRecordJson,
    );
  }

  /** Every matching record as NDJSON, one per line, streamed page by page (newest first). */
  @Get('export')
  async export(@Caller() principal: Principal, @Query() raw: unknown, @Res() reply: FastifyReply) {
    const filter = { ...query(AccessLogQuery, raw), limit: 1000 };
    const first = await this.audit.request('audit.access.list', { principal, ...filter });
    void reply.header('content-type', 'application/x-ndjson; charset=utf-8');
    const audit = this.audit;
    async function* lines() {
      let page = first;
      for (;;) {
        for (const record of page.items) yield `${JSON.stringify(accessRecordJson(record))}\n`;
        if (!page.nextCursor) return;
        page = await audit.request('audit.access.list', { principal, ...filter, cursor: page.nextCursor });
      }
    }
    return reply.send(Readable.from(lines()));
  }
}
