import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { PageQuery } from '../http/bodies';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import { SiteBody, SitePatch } from '../http/policy-bodies';
import { ifMatch, snakeJson } from '../http/request';
import { ConnectorJson, SiteJson, SitePageJson } from '../http/responses';
import { POLICY, type PolicyClient } from './tokens';

@Controller('api/v1/sites')
export class SitesController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  @Post()
  @Endpoint({
    summary: 'Create a site (its subnet may not overlap another site of the organisation)',
    tag: 'sites',
    body: SiteBody,
    response: SiteJson,
    keys: 'camel',
  })
  async create(
    @Caller() principal: Principal,
    @ValidBody() input: z.output<typeof SiteBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const site = await this.policy.request('policy.sites.create', { principal, site: input });
    void reply.status(201).header('Location', `/api/v1/sites/${site.id}`);
    return snakeJson(site);
  }

  @Get()
  @Endpoint({ summary: 'List sites', tag: 'sites', query: PageQuery, response: SitePageJson, keys: 'camel' })
  async list(@Caller() principal: Principal, @ValidQuery() page: z.output<typeof PageQuery>) {
    return snakeJson(await this.policy.request('policy.sites.list', { principal, ...page }));
  }

  @Get(':id')
  @Endpoint({ summary: 'One site', tag: 'sites', response: SiteJson, keys: 'camel' })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.policy.request('policy.sites.get', { principal, id }));
  }

  @Patch(':id')
  @Endpoint({
    summary: 'Change a site',
    tag: 'sites',
    body: SitePatch,
    response: SiteJson,
    keys: 'camel',
    ifMatch: true,
  })
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() changes: z.output<typeof SitePatch>,
    @Headers('if-match') match?: string,
  ) {
    return snakeJson(
      await this.policy.request('policy.sites.update', {
        principal,
        id,
        expectedVersion: ifMatch(match),
        changes,
      }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({ summary: 'Delete a site without resources', tag: 'sites', ifMatch: true })
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.policy.request('policy.sites.delete', { principal, id, expectedVersion: ifMatch(match) });
  }

  /** A connector token for the site (`rustronaut connector --token`): shown once, replaces the old one. */
  @Post(':id/connector')
  @Endpoint({
    summary:
      "Issue the site's connector token (rustronaut connector --token); shown once, replaces the old one",
    tag: 'sites',
    response: ConnectorJson,
    keys: 'camel',
  })
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
