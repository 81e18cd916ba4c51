import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { PageQuery } from '../http/bodies';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import { ServiceBody } from '../http/policy-bodies';
import { snakeJson } from '../http/request';
import { ServiceJson, ServicePageJson } from '../http/responses';
import { POLICY, type PolicyClient } from './tokens';

/** Exposed services (`rustronaut expose`): a local service reachable through a gateway's tunnel. */
@Controller('api/v1/services')
export class ServicesController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  /** The answer carries the tunnel token once: the client dials the gateway with it. */
  @Post()
  @Endpoint({
    summary: 'Expose a local service through a tunnel (rustronaut expose); the tunnel token is shown once',
    tag: 'services',
    body: ServiceBody,
    response: ServiceJson,
    keys: 'camel',
  })
  async expose(
    @Caller() principal: Principal,
    @ValidBody() input: z.output<typeof ServiceBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const service = await this.policy.request('policy.services.expose', { principal, service: input });
    void reply.status(201).header('Location', `/api/v1/services/${service.id}`);
    return snakeJson(service);
  }

  @Get()
  @Endpoint({
    summary: 'List exposed services',
    tag: 'services',
    query: PageQuery,
    response: ServicePageJson,
    keys: 'camel',
  })
  async list(@Caller() principal: Principal, @ValidQuery() page: z.output<typeof PageQuery>) {
    return snakeJson(await this.policy.request('policy.services.list', { principal, ...page }));
  }

  @Get(':id')
  @Endpoint({ summary: 'One exposed service', tag: 'services', response: ServiceJson, keys: 'camel' })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.policy.request('policy.services.get', { principal, id }));
  }

  /** The route leaves the gateways with the next snapshot (within a second). */
  @Delete(':id')
  @HttpCode(204)
  @Endpoint({ summary: 'Un-expose a service; its route leaves the gateways', tag: 'services' })
  async remove(@Caller() principal: Principal, @Param('id') id: string) {
    await this.policy.request('policy.services.unexpose', { principal, id });
  }
}
