import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { CreateOrgBody, UpdateOrgBody } from '../http/bodies';
import { Endpoint, ValidBody } from '../http/endpoint';
import { orgJson, pageJson, userJson } from '../http/mappers';
import { ifMatch } from '../http/request';
import { CreatedOrgJson, OrgJson, OrgPageJson } from '../http/responses';
import { IDENTITY, type IdentityClient } from './tokens';

@Controller('api/v1/orgs')
export class OrgsController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Post()
  @Endpoint({
    summary: 'Create an organisation and its owner (platform owners)',
    tag: 'orgs',
    body: CreateOrgBody,
    response: CreatedOrgJson,
  })
  async create(@Caller() principal: Principal, @ValidBody() org: z.output<typeof CreateOrgBody>) {
    const created = await this.identity.request('identity.orgs.create', { principal, ...org });
    return { ...orgJson(created.organization), owner: userJson(created.owner) };
  }

  @Get()
  @Endpoint({ summary: 'Organisations you can see', tag: 'orgs', response: OrgPageJson })
  async list(@Caller() principal: Principal) {
    return pageJson(await this.identity.request('identity.orgs.list', { principal }), orgJson);
  }

  @Get(':id')
  @Endpoint({ summary: 'One organisation', tag: 'orgs', response: OrgJson })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return orgJson(await this.identity.request('identity.orgs.get', { principal, id }));
  }

  @Patch(':id')
  @Endpoint({
    summary: 'Rename an organisation (owners)',
    tag: 'orgs',
    body: UpdateOrgBody,
    response: OrgJson,
    ifMatch: true,
  })
  async rename(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() { name }: z.output<typeof UpdateOrgBody>,
    @Headers('if-match') match?: string,
  ) {
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
  @Endpoint({ summary: 'Delete an organisation (platform owners)', tag: 'orgs', ifMatch: true })
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.identity.request('identity.orgs.delete', { principal, id, expectedVersion: ifMatch(match) });
  }
}
