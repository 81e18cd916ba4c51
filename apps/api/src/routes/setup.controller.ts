import { Controller, Get, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { Public } from '../auth/auth.guard';
import { SetupBody } from '../http/bodies';
import { Endpoint, ValidBody } from '../http/endpoint';
import { orgJson, userJson } from '../http/mappers';
import { CreatedOrgJson, SetupStatusJson } from '../http/responses';
import { IDENTITY, type IdentityClient } from './tokens';

/**
 * The first run of a platform started with RN_ADMIN_SETUP=console: the web console asks whether an
 * administrator exists yet, and creates the first one with the organisation's name. Open to anyone
 * while nobody exists (the console's first visitor), refused (409 IDENTITY_SETUP_DONE) afterwards.
 */
@Controller('api/v1/setup')
export class SetupController {
  constructor(@Inject(IDENTITY) private readonly identity: IdentityClient) {}

  @Public()
  @Get()
  @Endpoint({
    summary: 'Whether the platform still waits for its first administrator',
    tag: 'setup',
    response: SetupStatusJson,
  })
  status() {
    return this.identity.request('identity.setup.status', {});
  }

  @Public()
  @Post()
  @Endpoint({
    summary: "The first run: name the organisation and create its owner (409 once there's one)",
    tag: 'setup',
    body: SetupBody,
    response: CreatedOrgJson,
    errors: [409],
  })
  async complete(
    @ValidBody() input: z.output<typeof SetupBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const created = await this.identity.request('identity.setup.complete', input);
    void reply.status(201);
    return { ...orgJson(created.organization), owner: userJson(created.owner) };
  }
}
