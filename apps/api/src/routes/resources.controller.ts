import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import {
  ResourceBody,
  ResourceListQuery,
  ResourcePatch,
  TargetBody,
  TargetPatch,
} from '../http/policy-bodies';
import { ifMatch, snakeJson } from '../http/request';
import { ResourceJson, ResourcePageJson, SavedResourceJson, TargetListJson } from '../http/responses';
import { publicPortWarnings } from '../resources/public-port-warnings';
import { POLICY, type PolicyClient } from './tokens';

@Controller('api/v1/resources')
export class ResourcesController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  /** A resource, with its targets given inline if wanted. */
  @Post()
  @Endpoint({
    summary: 'Create a resource, targets inline if wanted',
    tag: 'resources',
    body: ResourceBody,
    response: SavedResourceJson,
    keys: 'camel',
  })
  async create(
    @Caller() principal: Principal,
    @ValidBody() { targets, ...resource }: z.output<typeof ResourceBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const created = await this.policy.request('policy.resources.create', { principal, resource, targets });
    void reply.status(201).header('Location', `/api/v1/resources/${created.id}`);
    return snakeJson({ ...created, warnings: await publicPortWarnings(this.policy, principal, created) });
  }

  @Get()
  @Endpoint({
    summary: 'List resources (optionally of one site)',
    tag: 'resources',
    query: ResourceListQuery,
    response: ResourcePageJson,
    keys: 'camel',
  })
  async list(
    @Caller() principal: Principal,
    @ValidQuery() { site_id, cursor, limit }: z.output<typeof ResourceListQuery>,
  ) {
    return snakeJson(
      await this.policy.request('policy.resources.list', { principal, siteId: site_id, cursor, limit }),
    );
  }

  @Get(':id')
  @Endpoint({
    summary: 'One resource with its targets',
    tag: 'resources',
    response: SavedResourceJson,
    keys: 'camel',
  })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    const resource = await this.policy.request('policy.resources.get', { principal, id });
    return snakeJson({ ...resource, warnings: await publicPortWarnings(this.policy, principal, resource) });
  }

  @Patch(':id')
  @Endpoint({
    summary: 'Change a resource',
    tag: 'resources',
    body: ResourcePatch,
    response: SavedResourceJson,
    keys: 'camel',
    ifMatch: true,
  })
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() changes: z.output<typeof ResourcePatch>,
    @Headers('if-match') match?: string,
  ) {
    const updated = await this.policy.request('policy.resources.update', {
      principal,
      id,
      expectedVersion: ifMatch(match),
      changes,
    });
    return snakeJson({ ...updated, warnings: await publicPortWarnings(this.policy, principal, updated) });
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({ summary: 'Delete a resource; its domains and port are freed', tag: 'resources', ifMatch: true })
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.policy.request('policy.resources.delete', { principal, id, expectedVersion: ifMatch(match) });
  }

  @Get(':id/targets')
  @Endpoint({ summary: "A resource's targets", tag: 'resources', response: TargetListJson, keys: 'camel' })
  async targets(@Caller() principal: Principal, @Param('id') resourceId: string) {
    return snakeJson({ items: await this.policy.request('policy.targets.list', { principal, resourceId }) });
  }

  @Post(':id/targets')
  @Endpoint({
    summary: 'Add a target',
    tag: 'resources',
    body: TargetBody,
    response: ResourceJson,
    keys: 'camel',
  })
  async addTarget(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @ValidBody() target: z.output<typeof TargetBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const resource = await this.policy.request('policy.targets.add', { principal, resourceId, target });
    void reply.status(201);
    return snakeJson(resource);
  }

  @Patch(':id/targets/:targetId')
  @Endpoint({
    summary: 'Change a target',
    tag: 'resources',
    body: TargetPatch,
    response: ResourceJson,
    keys: 'camel',
  })
  async updateTarget(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @Param('targetId') targetId: string,
    @ValidBody() changes: z.output<typeof TargetPatch>,
  ) {
    return snakeJson(
      await this.policy.request('policy.targets.update', { principal, resourceId, targetId, changes }),
    );
  }

  @Delete(':id/targets/:targetId')
  @Endpoint({ summary: 'Remove a target', tag: 'resources', response: ResourceJson, keys: 'camel' })
  async removeTarget(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @Param('targetId') targetId: string,
  ) {
    return snakeJson(await this.policy.request('policy.targets.remove', { principal, resourceId, targetId }));
  }
}
