import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { PageQuery } from '../http/bodies';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import { PolicyBody, PolicyPatch, SimulateBody } from '../http/policy-bodies';
import { ifMatch, snakeJson } from '../http/request';
import { PolicyJson, PolicyPageJson, SimulationJson } from '../http/responses';
import { POLICY, type PolicyClient } from './tokens';

@Controller('api/v1/policies')
export class PoliciesController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  @Post()
  @Endpoint({
    summary: 'Create a policy (deny wins over allow)',
    tag: 'policies',
    body: PolicyBody,
    response: PolicyJson,
    keys: 'camel',
  })
  async create(
    @Caller() principal: Principal,
    @ValidBody() policy: z.output<typeof PolicyBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const created = await this.policy.request('policy.policies.create', { principal, policy });
    void reply.status(201).header('Location', `/api/v1/policies/${created.id}`);
    return snakeJson(created);
  }

  /** May user U reach resource R from IP X at time T, and which rule decides? */
  @Post('simulate')
  @HttpCode(200)
  @Endpoint({
    summary: 'May user U reach resource R from IP X at time T, and which rule decides',
    tag: 'policies',
    body: SimulateBody,
    response: SimulationJson,
    keys: 'camel',
  })
  async simulate(@Caller() principal: Principal, @ValidBody() question: z.output<typeof SimulateBody>) {
    return snakeJson(await this.policy.request('policy.simulate', { principal, ...question }));
  }

  @Get()
  @Endpoint({
    summary: 'List policies',
    tag: 'policies',
    query: PageQuery,
    response: PolicyPageJson,
    keys: 'camel',
  })
  async list(@Caller() principal: Principal, @ValidQuery() page: z.output<typeof PageQuery>) {
    return snakeJson(await this.policy.request('policy.policies.list', { principal, ...page }));
  }

  @Get(':id')
  @Endpoint({ summary: 'One policy', tag: 'policies', response: PolicyJson, keys: 'camel' })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.policy.request('policy.policies.get', { principal, id }));
  }

  @Patch(':id')
  @Endpoint({
    summary: 'Change a policy',
    tag: 'policies',
    body: PolicyPatch,
    response: PolicyJson,
    keys: 'camel',
    ifMatch: true,
  })
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() changes: z.output<typeof PolicyPatch>,
    @Headers('if-match') match?: string,
  ) {
    return snakeJson(
      await this.policy.request('policy.policies.update', {
        principal,
        id,
        expectedVersion: ifMatch(match),
        changes,
      }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({ summary: 'Delete a policy', tag: 'policies', ifMatch: true })
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.policy.request('policy.policies.delete', { principal, id, expectedVersion: ifMatch(match) });
  }
}
