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
import {
  ResourceBody,
  ResourceListQuery,
  ResourcePatch,
  TargetBody,
  TargetPatch,
} from '../http/policy-bodies';
import { etag, ifMatch, query, snakeBody, snakeJson } from '../http/request';
import { POLICY, type PolicyClient } from './tokens';

@Controller('api/v1/resources')
export class ResourcesController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  /** A resource, with its targets given inline if wanted. */
  @Post()
  async create(
    @Caller() principal: Principal,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { targets, ...resource } = snakeBody(ResourceBody, raw);
    const created = await this.policy.request('policy.resources.create', { principal, resource, targets });
    void reply
      .status(201)
      .header('ETag', etag(created.version))
      .header('Location', `/api/v1/resources/${created.id}`);
    return snakeJson(created);
  }

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    const { site_id, cursor, limit } = query(ResourceListQuery, raw);
    return snakeJson(
      await this.policy.request('policy.resources.list', { principal, siteId: site_id, cursor, limit }),
    );
  }

  @Get(':id')
  async get(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const resource = await this.policy.request('policy.resources.get', { principal, id });
    void reply.header('ETag', etag(resource.version));
    return snakeJson(resource);
  }

  @Patch(':id')
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Body() raw: unknown,
    @Headers('if-match') match?: string,
  ) {
    return snakeJson(
      await this.policy.request('policy.resources.update', {
        principal,
        id,
        expectedVersion: ifMatch(match),
        changes: snakeBody(ResourcePatch, raw),
      }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.policy.request('policy.resources.delete', { principal, id, expectedVersion: ifMatch(match) });
  }

  @Get(':id/targets')
  async targets(@Caller() principal: Principal, @Param('id') resourceId: string) {
    return snakeJson({ items: await this.policy.request('policy.targets.list', { principal, resourceId }) });
  }

  @Post(':id/targets')
  async addTarget(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const resource = await this.policy.request('policy.targets.add', {
      principal,
      resourceId,
      target: snakeBody(TargetBody, raw),
    });
    void reply.status(201);
    return snakeJson(resource);
  }

  @Patch(':id/targets/:targetId')
  async updateTarget(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @Param('targetId') targetId: string,
    @Body() raw: unknown,
  ) {
    return snakeJson(
      await this.policy.request('policy.targets.update', {
        principal,
        resourceId,
        targetId,
        changes: snakeBody(TargetPatch, raw),
      }),
    );
  }

  @Delete(':id/targets/:targetId')
  async removeTarget(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @Param('targetId') targetId: string,
  ) {
    return snakeJson(await this.policy.request('policy.targets.remove', { principal, resourceId, targetId }));
  }
}
