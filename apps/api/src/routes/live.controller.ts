import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requireRole, type Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { Endpoint } from '../http/endpoint';
import { accessRecordJson } from '../http/mappers';
import { AccessRecordJson, GatewayChangeJson } from '../http/responses';
import { LiveFeed } from '../live/live-feed';
import { mapLive, serverSentEvents } from '../live/server-sent-events';

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-accel-buffering': 'no',
};

/** Live views over server-sent events: the access-log tail and gateway changes (admins of the org). */
@Controller('api/v1')
export class LiveController {
  constructor(@Inject(LiveFeed) private readonly feed: LiveFeed) {}

  @Get('access-log/live')
  @Endpoint({
    summary: "The access log's tail as server-sent events (`access`), admins",
    tag: 'audit',
    response: AccessRecordJson,
    produces: 'text/event-stream',
  })
  accessLog(@Caller() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const signal = adminStream(principal, request);
    const records = mapLive(this.feed.accessRecords(principal.orgId, signal), (r) => ({
      event: 'access',
      data: accessRecordJson(r),
    }));
    return reply.headers(STREAM_HEADERS).send(serverSentEvents(records, signal));
  }

  @Get('gateways/live')
  @Endpoint({
    summary: 'Gateway changes as server-sent events (`gateway`), admins',
    tag: 'gateways',
    response: GatewayChangeJson,
    produces: 'text/event-stream',
  })
  gateways(@Caller() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const signal = adminStream(principal, request);
    const changes = mapLive(this.feed.gatewayChanges(principal.orgId, signal), (c) => ({
      event: 'gateway',
      data: { gateway_id: c.gatewayId, type: c.type, at: c.at },
    }));
    return reply.headers(STREAM_HEADERS).send(serverSentEvents(changes, signal));
  }
}

/** Live views are for admins and owners; the stream ends when the browser goes. */
function adminStream(principal: Principal, request: FastifyRequest): AbortSignal {
  requireRole(principal, 'admin');
  const controller = new AbortController();
  request.raw.on('close', () => controller.abort());
  return controller.signal;
}
