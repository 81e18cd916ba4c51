import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { CreateOrgBody, UpdateOrgBody } from '../http/bodies';
import { orgJson, pageJson, userJson } from '../http/mappers';
import { body, ifMatch } from '../http/request';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1/orgs')
export class OrgsController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Post()
  async create(@Caller() principal: Principal, @Body() raw: unknown) {
    const created = await this.identity.request('identity.orgs.create', {
      principal,
      ...body(CreateOrgBody, raw),
    });
    return { ...orgJson(created.organization), owner: userJson(created.owner) };
  }

  @Get()
  async list(@Caller() principal: Principal) {
    return pageJson(await this.identity.request('identity.orgs.list', { principal }), orgJson);
  }

  @Get(':id')
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return orgJson(await this.identity.request('identity.orgs.get', { principal, id }));
  }

  @Patch(':id')
  async rename(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @Body() raw: unknown,
    @Headers('if-match') match?: string,
  ) {
    const { name } = body(UpdateOrgBody, raw);
    return orgJson(
      await this.identity.request('identity.orgs.update', {
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
    await this.identity.request('identity.orgs.delete', { principal, id, expectedVersion: ifMatch(match) });
  }
}
