import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Principal } from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { Endpoint, ValidBody } from '../http/endpoint';
import {
  CreateIdentityProviderBody,
  IdentityProviderJson,
  IdentityProviderListJson,
  UpdateIdentityProviderBody,
  identityProviderJson,
  providerSettingsOf,
} from '../http/identity-provider-bodies';
import { ifMatch } from '../http/request';
import { IDENTITY, type IdentityClient } from './tokens';

/** An organisation's OpenID Connect providers (admins). The client secret goes in and never comes out. */
@Controller('api/v1/identity-providers')
export class IdentityProvidersController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Post()
  @Endpoint({
    summary: 'Add an OpenID Connect provider; the answer has the redirect_uri to register at it',
    tag: 'identity-providers',
    body: CreateIdentityProviderBody,
    response: IdentityProviderJson,
  })
  async create(
    @Caller() principal: Principal,
    @ValidBody() body: z.output<typeof CreateIdentityProviderBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { type, name, issuer, client_id, client_secret, ...rest } = body;
    const created = await this.identity.request('identity.idp.create', {
      principal,
      type,
      name,
      issuer,
      clientId: client_id,
      clientSecret: client_secret,
      ...providerSettingsOf(rest),
    });
    void reply.status(201).header('Location', `/api/v1/identity-providers/${created.id}`);
    return identityProviderJson(created);
  }

  @Get()
  @Endpoint({
    summary: "Your organisation's identity providers",
    tag: 'identity-providers',
    response: IdentityProviderListJson,
  })
  async list(@Caller() principal: Principal) {
    const { items } = await this.identity.request('identity.idp.list', { principal });
    return { items: items.map(identityProviderJson) };
  }

  @Get(':id')
  @Endpoint({
    summary: 'One identity provider (ETag: its version)',
    tag: 'identity-providers',
    response: IdentityProviderJson,
  })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return identityProviderJson(await this.identity.request('identity.idp.get', { principal, id }));
  }

  @Patch(':id')
  @Endpoint({
    summary: 'Change an identity provider (If-Match for safe concurrent edits)',
    tag: 'identity-providers',
    body: UpdateIdentityProviderBody,
    response: IdentityProviderJson,
    ifMatch: true,
  })
  async update(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() body: z.output<typeof UpdateIdentityProviderBody>,
    @Headers('if-match') match?: string,
  ) {
    const provider = await this.identity.request('identity.idp.update', {
      principal,
      id,
      expectedVersion: ifMatch(match),
      changes: providerSettingsOf(body),
    });
    return identityProviderJson(provider);
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({
    summary: 'Remove an identity provider; its people keep their accounts (and sign in otherwise)',
    tag: 'identity-providers',
    ifMatch: true,
  })
  async remove(@Caller() principal: Principal, @Param('id') id: string, @Headers('if-match') match?: string) {
    await this.identity.request('identity.idp.delete', { principal, id, expectedVersion: ifMatch(match) });
  }
}
