import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { IdentityRequest, Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { CreateUserBody, PageQuery, UpdateUserBody } from '../http/bodies';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import { pageJson, userJson } from '../http/mappers';
import { etag, ifMatch } from '../http/request';
import { UserJson, UserPageJson } from '../http/responses';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1/users')
export class UsersController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Post()
  @Endpoint({ summary: 'Create a user', tag: 'users', body: CreateUserBody, response: UserJson })
  async create(
    @Caller() principal: Principal,
    @ValidBody() input: z.output<typeof CreateUserBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const user = await this.identity.request('identity.users.create', { principal, ...input });
    void reply.status(201).header('ETag', etag(user.version)).header('Location', `/api/v1/users/${user.id}`);
    return userJson(user);
  }

  @Get()
  @Endpoint({
    summary: 'List users of your organisation',
    tag: 'users',
    query: PageQuery,
    response: UserPageJson,
  })
  async list(@Caller() principal: Principal, @ValidQuery() page: z.output<typeof PageQuery>) {
    return pageJson(await this.identity.request('identity.users.list', { principal, ...page }), userJson);
  }

  @Get(':id')
  @Endpoint({ summary: 'One user (ETag: its version)', tag: 'users', response: UserJson })
  async get(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const user = await this.identity.request('identity.users.get', { principal, id });
    void reply.header('ETag', etag(user.version));
    return userJson(user);
  }

  @Patch(':id')
  @Endpoint({
    summary: 'Change a user (If-Match for safe concurrent edits)',
    tag: 'users',
    body: UpdateUserBody,
    response: UserJson,
    ifMatch: true,
  })
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() changes: z.output<typeof UpdateUserBody>,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const user = await this.identity.request('identity.users.update', {
      principal,
      id,
      expectedVersion: ifMatch(match),
      ...changes,
    });
    void reply.header('ETag', etag(user.version));
    return userJson(user);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Endpoint({
    summary:
      'Disable a user (admins): no sign-in of any kind, their sessions and API keys stop, their devices reach nothing',
    tag: 'users',
    response: UserJson,
    ifMatch: true,
  })
  disable(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.#access('identity.users.disable', { principal, id, expectedVersion: ifMatch(match) }, reply);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @Endpoint({
    summary: 'Enable a disabled user again (admins); they sign in anew',
    tag: 'users',
    response: UserJson,
    ifMatch: true,
  })
  enable(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.#access('identity.users.enable', { principal, id, expectedVersion: ifMatch(match) }, reply);
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({ summary: 'Delete a user; their sessions end', tag: 'users', ifMatch: true })
  async remove(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Headers('if-match') match: string | undefined,
  ) {
    await this.identity.request('identity.users.delete', { principal, id, expectedVersion: ifMatch(match) });
  }

  async #access(
    pattern: 'identity.users.disable' | 'identity.users.enable',
    request: IdentityRequest<'identity.users.disable'>,
    reply: FastifyReply,
  ) {
    const user = await this.identity.request(pattern, request);
    void reply.header('ETag', etag(user.version));
    return userJson(user);
  }
}
