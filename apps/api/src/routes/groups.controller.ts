import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { AddMemberBody, CreateGroupBody, PageQuery, UpdateGroupBody } from '../http/bodies';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import { groupJson, pageJson } from '../http/mappers';
import { ifMatch } from '../http/request';
import { GroupJson, GroupPageJson } from '../http/responses';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1/groups')
export class GroupsController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Post()
  @Endpoint({ summary: 'Create a group', tag: 'groups', body: CreateGroupBody, response: GroupJson })
  async create(@Caller() principal: Principal, @ValidBody() group: z.output<typeof CreateGroupBody>) {
    return groupJson(await this.identity.request('identity.groups.create', { principal, ...group }));
  }

  @Get()
  @Endpoint({ summary: 'List groups', tag: 'groups', query: PageQuery, response: GroupPageJson })
  async list(@Caller() principal: Principal, @ValidQuery() page: z.output<typeof PageQuery>) {
    return pageJson(await this.identity.request('identity.groups.list', { principal, ...page }), groupJson);
  }

  @Get(':id')
  @Endpoint({ summary: 'One group', tag: 'groups', response: GroupJson })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return groupJson(await this.identity.request('identity.groups.get', { principal, id }));
  }

  @Patch(':id')
  @Endpoint({
    summary: 'Rename a group',
    tag: 'groups',
    body: UpdateGroupBody,
    response: GroupJson,
    ifMatch: true,
  })
  async rename(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() { name }: z.output<typeof UpdateGroupBody>,
    @Headers('if-match') match?: string,
  ) {
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
  @Endpoint({ summary: 'Delete a group', tag: 'groups', ifMatch: true })
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.identity.request('identity.groups.delete', { principal, id, expectedVersion: ifMatch(match) });
  }

  @Post(':id/members')
  @Endpoint({ summary: 'Add a member', tag: 'groups', body: AddMemberBody, response: GroupJson })
  async addMember(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() { user_id }: z.output<typeof AddMemberBody>,
  ) {
    return groupJson(
      await this.identity.request('identity.groups.members.add', { principal, id, userId: user_id }),
    );
  }

  @Delete(':id/members/:userId')
  @Endpoint({ summary: 'Remove a member', tag: 'groups', response: GroupJson })
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
