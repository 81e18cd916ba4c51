import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { PageQuery } from '../http/bodies';
import { ServiceBody } from '../http/policy-bodies';
import { query, snakeBody, snakeJson } from '../http/request';
import { POLICY, type PolicyClient } from './tokens';

/** Exposed services (`rustronaut expose`): a local service reachable through a gateway's tunnel. */
@Controller('api/v1/services')
export class ServicesController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  /** The answer carries the tunnel token once: the client dials the gateway with it. */
  @Post()
  async expose(
    @Caller() principal: Principal,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const service = await this.policy.request('policy.services.expose', {
      principal,
      service: snakeBody(ServiceBody, raw),
    });
    void reply.status(201).header('Location', `/api/v1/services/${service.id}`);
    return snakeJson(service);
  }

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    const { cursor, limit } = query(PageQuery, raw);
    return snakeJson(await this.policy.request('policy.services.list', { principal, cursor, limit }));
  }

  @Get(':id')
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.policy.request('policy.services.get', { principal, id }));
  }

  /** The route leaves the gateways with the next snapshot (within a second). */
  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() principal: Principal, @Param('id') id: string) {
    await this.policy.request('policy.services.unexpose', { principal, id });
  }
}
