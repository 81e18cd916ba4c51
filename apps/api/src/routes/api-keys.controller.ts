import { Body, Controller, Delete, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { CreateApiKeyBody, PageQuery } from '../http/bodies';
import { apiKeyJson, pageJson } from '../http/mappers';
import { body, query } from '../http/request';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  /** The key is in this answer only: it is stored hashed and cannot be shown again. */
  @Post()
  async create(
    @Caller() principal: Principal,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { name, role, expires_in_days } = body(CreateApiKeyBody, raw);
    const created = await this.identity.request('identity.apikeys.create', {
      principal,
      name,
      role,
      ...(expires_in_days ? { expiresInDays: expires_in_days } : {}),
    });
    void reply.status(201);
    return { ...apiKeyJson(created), key: created.key };
  }

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    return pageJson(
      await this.identity.request('identity.apikeys.list', { principal, ...query(PageQuery, raw) }),
      apiKeyJson,
    );
  }

  @Delete(':id')
  async revoke(@Caller() principal: Principal, @Param('id') id: string) {
    return apiKeyJson(await this.identity.request('identity.apikeys.revoke', { principal, id }));
  }
}
