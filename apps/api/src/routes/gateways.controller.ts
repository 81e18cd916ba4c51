import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller, Public } from '../auth/auth.guard';
import { PageQuery } from '../http/bodies';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import { EnrollBody, GatewayBody, GatewayPatch } from '../http/policy-bodies';
import { snakeJson } from '../http/request';
import { CreatedGatewayJson, DnsJson, EnrolmentJson, GatewayJson, GatewayPageJson } from '../http/responses';
import { REGISTRY, type RegistryClient } from './tokens';

@Controller('api/v1')
export class GatewaysController {
  constructor(@Inject(REGISTRY) private readonly registry: RegistryClient) {}

  /** A gateway and its single-use enrolment token (shown once). */
  @Post('gateways')
  @Endpoint({
    summary: 'Create a gateway; its single-use enrolment token is shown once',
    tag: 'gateways',
    body: GatewayBody,
    response: CreatedGatewayJson,
    keys: 'camel',
  })
  async create(
    @Caller() principal: Principal,
    @ValidBody() gateway: z.output<typeof GatewayBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const created = await this.registry.request('registry.gateways.create', { principal, gateway });
    void reply.status(201).header('Location', `/api/v1/gateways/${created.id}`);
    return snakeJson(created);
  }

  @Get('gateways')
  @Endpoint({
    summary: 'List gateways: status, config revision, last heartbeat',
    tag: 'gateways',
    query: PageQuery,
    response: GatewayPageJson,
    keys: 'camel',
  })
  async list(@Caller() principal: Principal, @ValidQuery() page: z.output<typeof PageQuery>) {
    return snakeJson(await this.registry.request('registry.gateways.list', { principal, ...page }));
  }

  @Get('gateways/:id')
  @Endpoint({ summary: 'One gateway', tag: 'gateways', response: GatewayJson, keys: 'camel' })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.registry.request('registry.gateways.get', { principal, id }));
  }

  @Put('gateways/:id/config')
  @Endpoint({
    summary: "Change a gateway's settings (sites, region, ports …)",
    tag: 'gateways',
    body: GatewayPatch,
    response: GatewayJson,
    keys: 'camel',
  })
  async configure(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() changes: z.output<typeof GatewayPatch>,
  ) {
    return snakeJson(await this.registry.request('registry.gateways.update', { principal, id, changes }));
  }

  /** Deletes the gateway; its identity is no longer accepted. */
  @Delete('gateways/:id')
  @HttpCode(204)
  @Endpoint({ summary: 'Delete a gateway; its identity is no longer accepted', tag: 'gateways' })
  async remove(@Caller() principal: Principal, @Param('id') id: string) {
    await this.registry.request('registry.gateways.delete', { principal, id });
  }

  /** Called by a gateway with its enrolment token and the public key it generated. */
  @Public()
  @Post('gateways/enroll')
  @HttpCode(200)
  @Endpoint({
    summary: 'Enrol a gateway: its one-time token and the public keys it generated',
    tag: 'gateways',
    body: EnrollBody,
    response: EnrolmentJson,
    keys: 'camel',
    errors: [401, 409],
  })
  async enroll(@ValidBody() enrolment: z.output<typeof EnrollBody>) {
    return snakeJson(await this.registry.request('registry.gateways.enroll', enrolment));
  }

  /** The exact DNS records to create for a resource, for every gateway serving its site. */
  @Get('resources/:id/dns')
  @Endpoint({
    summary: 'The DNS records to create for a resource, for every gateway serving its site',
    tag: 'gateways',
    response: DnsJson,
    keys: 'camel',
  })
  async dns(@Caller() principal: Principal, @Param('id') resourceId: string) {
    return snakeJson(await this.registry.request('registry.dns', { principal, resourceId }));
  }
}
