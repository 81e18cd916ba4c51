import { Controller, Delete, Get, Inject, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { CreateApiKeyBody, PageQuery } from '../http/bodies';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import { apiKeyJson, pageJson } from '../http/mappers';
import { ApiKeyJson, ApiKeyPageJson, CreatedApiKeyJson } from '../http/responses';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  /** The key is in this answer only: it is stored hashed and cannot be shown again. */
  @Post()
  @Endpoint({
    summary: 'Create an API key (the key is shown once)',
    tag: 'api-keys',
    body: CreateApiKeyBody,
    response: CreatedApiKeyJson,
  })
  async create(
    @Caller() principal: Principal,
    @ValidBody() { name, role, expires_in_days }: z.output<typeof CreateApiKeyBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
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
  @Endpoint({
    summary: 'List API keys (admins: all; members: their own)',
    tag: 'api-keys',
    query: PageQuery,
    response: ApiKeyPageJson,
  })
  async list(@Caller() principal: Principal, @ValidQuery() page: z.output<typeof PageQuery>) {
    return pageJson(await this.identity.request('identity.apikeys.list', { principal, ...page }), apiKeyJson);
  }

  @Delete(':id')
  @Endpoint({ summary: 'Revoke an API key', tag: 'api-keys', response: ApiKeyJson })
  async revoke(@Caller() principal: Principal, @Param('id') id: string) {
    return apiKeyJson(await this.identity.request('identity.apikeys.revoke', { principal, id }));
  }
}
