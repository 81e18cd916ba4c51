import { Readable } from 'node:stream';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { AccessLogQuery } from '../http/bodies';
import { Endpoint, ValidQuery } from '../http/endpoint';
import { accessRecordJson, pageJson } from '../http/mappers';
import { AccessRecordJson, AccessRecordPageJson } from '../http/responses';
import { AUDIT, type AuditClient } from './tokens';

/** The gateways' access log, kept by the audit service: admins of the org, their org's records only. */
@Controller('api/v1/access-log')
export class AccessLogController {
  constructor(@Inject(AUDIT) private readonly audit: AuditClient) {}

  @Get()
  @Endpoint({
    summary: "The gateways' access log (admins): every request and what decided it, newest first",
    tag: 'audit',
    query: AccessLogQuery,
    response: AccessRecordPageJson,
  })
  async list(@Caller() principal: Principal, @ValidQuery() filter: z.output<typeof AccessLogQuery>) {
    return pageJson(
      await this.audit.request('audit.access.list', { principal, ...filter }),
      accessRecordJson,
    );
  }

  /** Every matching record as NDJSON, one per line, streamed page by page (newest first). */
  @Get('export')
  @Endpoint({
    summary: 'The matching access log as NDJSON',
    tag: 'audit',
    query: AccessLogQuery,
    response: AccessRecordJson,
    produces: 'application/x-ndjson',
  })
  async export(
    @Caller() principal: Principal,
    @ValidQuery() query: z.output<typeof AccessLogQuery>,
    @Res() reply: FastifyReply,
  ) {
    const filter = { ...query, limit: 1000 };
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
