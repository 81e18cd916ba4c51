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
import { SiteBody, SitePatch } from '../http/policy-bodies';
import { etag, ifMatch, query, snakeBody, snakeJson } from '../http/request';
import { POLICY, type PolicyClient } from './tokens';

@Controller('api/v1/sites')
export class SitesController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  @Post()
  async create(
    @Caller() principal: Principal,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const site = await this.policy.request('policy.sites.create', {
      principal,
      site: snakeBody(SiteBody, raw),
    });
    void reply.status(201).header('ETag', etag(site.version)).header('Location', `/api/v1/sites/${site.id}`);
    return snakeJson(site);
  }

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    return snakeJson(await this.policy.request('policy.sites.list', { principal, ...query(PageQuery, raw) }));
  }

  @Get(':id')
  async get(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const site = await this.policy.request('policy.sites.get', { principal, id });
    void reply.header('ETag', etag(site.version));
    return snakeJson(site);
  }

  @Patch(':id')
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Body() raw: unknown,
    @Headers('if-match') match?: string,
  ) {
    return snakeJson(
      await this.policy.request('policy.sites.update', {
        principal,
        id,
        expectedVersion: ifMatch(match),
        changes: snakeBody(SitePatch, raw),
      }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.policy.request('policy.sites.delete', { principal, id, expectedVersion: ifMatch(match) });
  }

  /** A connector token for the site (`rustronaut connector --token`): shown once, replaces the old one. */
  @Post(':id/connector')
  async connector(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const issued = await this.policy.request('policy.sites.connector', { principal, id });
    void reply.status(201);
    return snakeJson(issued);
  }
}
