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
} from '@nestjs/common';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { AddMemberBody, CreateGroupBody, PageQuery, UpdateGroupBody } from '../http/bodies';
import { groupJson, pageJson } from '../http/mappers';
import { body, ifMatch, query } from '../http/request';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1/groups')
export class GroupsController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Post()
  async create(@Caller() principal: Principal, @Body() raw: unknown) {
    return groupJson(
      await this.identity.request('identity.groups.create', { principal, ...body(CreateGroupBody, raw) }),
    );
  }

  @Get()
  async list(@Caller() principal: Principal, @Query() raw: unknown) {
    return pageJson(
      await this.identity.request('identity.groups.list', { principal, ...query(PageQuery, raw) }),
      groupJson,
    );
  }

  @Get(':id')
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return groupJson(await this.identity.request('identity.groups.get', { principal, id }));
  }

  @Patch(':id')
  async rename(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Body() raw: unknown,
    @Headers('if-match') match?: string,
  ) {
    const { name } = body(UpdateGroupBody, raw);
    return groupJson(
      await this.identity.request('identity.groups.update', {
        principal,
        id,
        name,
        expectedVersion: ifMatch(match),
      }),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.identity.request('identity.groups.delete', { principal, id, expectedVersion: ifMatch(match) });
  }

  @Post(':id/members')
  async addMember(@Caller() principal: Principal, @Param('id') id: string, @Body() raw: unknown) {
    const { user_id } = body(AddMemberBody, raw);
    return groupJson(
      await this.identity.request('identity.groups.members.add', { principal, id, userId: user_id }),
    );
  }

  @Delete(':id/members/:userId')
  async removeMember(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Param('userId') userId: string,
  ) {
    return groupJson(
      await this.identity.request('identity.groups.members.remove', { principal, id, userId }),
    );
  }
}
