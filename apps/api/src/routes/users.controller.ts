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
import { CreateUserBody, PageQuery, UpdateUserBody } from '../http/bodies';
import { pageJson, userJson } from '../http/mappers';
import { body, etag, ifMatch, query } from '../http/request';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1/users')
export class UsersController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Post()
  async create(
    @Caller() principal: Principal,
    @Body() raw: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const user = await this.identity.request('identity.users.create', {
      principal,
      ...body(CreateUserBody, raw),
    });
    void reply.status(201).header('ETag', etag(user.version)).header('Location', `/api/v1/users/${user.id}`);
    return userJson(user);
  }

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    return pageJson(
      await this.identity.request('identity.users.list', { principal, ...query(PageQuery, raw) }),
      userJson,
    );
  }

  @Get(':id')
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
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Body() raw: unknown,
    @Headers('if-match') match: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const user = await this.identity.request('identity.users.update', {
      principal,
      id,
      expectedVersion: ifMatch(match),
      ...body(UpdateUserBody, raw),
    });
    void reply.header('ETag', etag(user.version));
    return userJson(user);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Headers('if-match') match: string | undefined,
  ) {
    await this.identity.request('identity.users.delete', { principal, id, expectedVersion: ifMatch(match) });
  }
}
