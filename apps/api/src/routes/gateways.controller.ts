import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@rustronaut/contracts';
import { Caller, Public } from '../auth/auth.guard';
import { PageQuery } from '../http/bodies';
import { EnrollBody, GatewayBody, GatewayPatch } from '../http/policy-bodies';
import { query, snakeBody, snakeJson } from '../http/request';
import { REGISTRY, type RegistryClient } from './tokens';

@Controller('api/v1')
export class GatewaysController {
  constructor(@Inject(REGISTRY) private readonly registry: RegistryClient) {}

  /** A gateway and its single-use enrolment token (shown once). */
  @Post('gateways')
  async create(
    @Caller() principal: Principal,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const created = await this.registry.request('registry.gateways.create', {
      principal,
      gateway: snakeBody(GatewayBody, raw),
    });
    void reply.status(201).header('Location', `/api/v1/gateways/${created.id}`);
    return snakeJson(created);
  }

  @Get('gateways')
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    return snakeJson(
      await this.registry.request('registry.gateways.list', { principal, ...query(PageQuery, raw) }),
    );
  }

  @Get('gateways/:id')
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.registry.request('registry.gateways.get', { principal, id }));
  }

  @Put('gateways/:id/config')
  async configure(@Caller() principal: Principal, @Param('id') id: string, @Body() raw: unknown) {
    return snakeJson(
      await this.registry.request('registry.gateways.update', {
        principal,
        id,
        changes: snakeBody(GatewayPatch, raw),
      }),
    );
  }

  /** Deletes the gateway; its identity is no longer accepted. */
  @Delete('gateways/:id')
  @HttpCode(204)
  async remove(@Caller() principal: Principal, @Param('id') id: string) {
    await this.registry.request('registry.gateways.delete', { principal, id });
  }

  /** Called by a gateway with its enrolment token and the public key it generated. */
  @Public()
  @Post('gateways/enroll')
  @HttpCode(200)
  async enroll(@Body() raw: unknown) {
    return snakeJson(await this.registry.request('registry.gateways.enroll', snakeBody(EnrollBody, raw)));
  }

  /** The exact DNS records to create for a resource, for every gateway serving its site. */
  @Get('resources/:id/dns')
  async dns(@Caller() principal: Principal, @Param('id') resourceId: string) {
    return snakeJson(await this.registry.request('registry.dns', { principal, resourceId }));
  }
}
