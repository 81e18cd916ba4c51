import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { PageQuery } from '../http/bodies';
import { PolicyBody, PolicyPatch, SimulateBody } from '../http/policy-bodies';
import { etag, ifMatch, query, snakeBody, snakeJson } from '../http/request';
import { POLICY, type PolicyClient } from './tokens';

@Controller('api/v1/policies')
export class PoliciesController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  @Post()
  async create(
    @Caller() principal: Principal,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const created = await this.policy.request('policy.policies.create', {
      principal,
      policy: snakeBody(PolicyBody, raw),
    });
    void reply
      .status(201)
      .header('ETag', etag(created.version))
      .header('Location', `/api/v1/policies/${created.id}`);
    return snakeJson(created);
  }

  /** May user U reach resource R from IP X at time T, and which rule decides? */
  @Post('simulate')
  @HttpCode(200)
  async simulate(@Caller() principal: Principal, @Body() raw: unknown) {
    return snakeJson(
      await this.policy.request('policy.simulate', { principal, ...snakeBody(SimulateBody, raw) }),
    );
  }

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    return snakeJson(
      await this.policy.request('policy.policies.list', { principal, ...query(PageQuery, raw) }),
    );
  }

  @Get(':id')
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.policy.request('policy.policies.get', { principal, id }));
  }

  @Patch(':id')
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Body() raw: unknown,
    @Headers('if-match') match?: string,
  ) {
    return snakeJson(
      await this.policy.request('policy.policies.update', {
        principal,
        id,
        expectedVersion: ifMatch(match),
        changes: snakeBody(PolicyPatch, raw),
      }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.policy.request('policy.policies.delete', { principal, id, expectedVersion: ifMatch(match) });
  }
}
