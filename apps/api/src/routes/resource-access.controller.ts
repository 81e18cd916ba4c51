import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Principal, ShareLinkView } from '@rustronaut/contracts';
import type { z } from 'zod';
import { Caller } from '../auth/auth.guard';
import { PasswordBody, PinBody, ShareLinkBody } from '../http/bodies';
import { TokenIssuerBody } from '../http/policy-bodies';
import { Endpoint, ValidBody } from '../http/endpoint';
import { snakeJson } from '../http/request';
import {
  CreatedShareLinkJson,
  ResourceJson,
  ShareLinkJson,
  ShareLinkListJson,
  TokenIssuerJson,
  TokenIssuerListJson,
} from '../http/responses';
import { POLICY, type PolicyClient } from './tokens';

/** Where a share link's token is taken, on any of the resource's hosts. */
const SHARE_PATH = '/.rustronaut/share/';

/**
 * A resource's own ways in without an account: its PIN, its password (stored hashed, never shown)
 * and its share links (the link is in the creation answer only).
 */
@Controller('api/v1/resources')
export class ResourceAccessController {
  constructor(@Inject(POLICY) private readonly policy: PolicyClient) {}

  @Put(':id/pin')
  @Endpoint({
    summary: "Set the resource's PIN (4–12 digits; stored as a scrypt hash; needs 'pin' in auth_methods)",
    tag: 'resources',
    body: PinBody,
    response: ResourceJson,
    keys: 'camel',
  })
  async setPin(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() { pin }: z.output<typeof PinBody>,
  ) {
    return snakeJson(await this.#set(principal, id, 'pin', pin));
  }

  @Delete(':id/pin')
  @Endpoint({ summary: "Remove the resource's PIN", tag: 'resources', response: ResourceJson, keys: 'camel' })
  async removePin(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.#set(principal, id, 'pin', null));
  }

  @Put(':id/password')
  @Endpoint({
    summary:
      "Set the resource's password (8–200 characters; stored as a scrypt hash; needs 'password' in auth_methods)",
    tag: 'resources',
    body: PasswordBody,
    response: ResourceJson,
    keys: 'camel',
  })
  async setPassword(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidBody() { password }: z.output<typeof PasswordBody>,
  ) {
    return snakeJson(await this.#set(principal, id, 'password', password));
  }

  @Delete(':id/password')
  @Endpoint({
    summary: "Remove the resource's password",
    tag: 'resources',
    response: ResourceJson,
    keys: 'camel',
  })
  async removePassword(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.#set(principal, id, 'password', null));
  }

  /** A share link: `url` (and `path`) carry the token, shown in this answer only. */
  @Post(':id/share-links')
  @Endpoint({
    summary: 'Create a share link (its url is shown once; only its SHA-256 is kept)',
    tag: 'resources',
    body: ShareLinkBody,
    response: CreatedShareLinkJson,
  })
  async createShareLink(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @ValidBody() { expires_in_s }: z.output<typeof ShareLinkBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { token, ...link } = await this.policy.request('policy.shareLinks.create', {
      principal,
      resourceId,
      expiresInS: expires_in_s,
    });
    const resource = await this.policy.request('policy.resources.get', { principal, id: resourceId });
    const host = resource.domains.find((d) => !d.startsWith('*.'));
    void reply.status(201);
    return {
      ...shareLinkJson(link),
      path: `${SHARE_PATH}${token}`,
      url: host ? `https://${host}${SHARE_PATH}${token}` : null,
    };
  }

  @Get(':id/share-links')
  @Endpoint({ summary: 'List share links', tag: 'resources', response: ShareLinkListJson })
  async listShareLinks(@Caller() principal: Principal, @Param('id') resourceId: string) {
    const links = await this.policy.request('policy.shareLinks.list', { principal, resourceId });
    return { items: links.map(shareLinkJson) };
  }

  @Delete(':id/share-links/:linkId')
  @HttpCode(200)
  @Endpoint({
    summary: 'Revoke a share link (gateways refuse it, and the sessions it opened, within seconds)',
    tag: 'resources',
    response: ShareLinkJson,
  })
  async revokeShareLink(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @Param('linkId') linkId: string,
  ) {
    return shareLinkJson(
      await this.policy.request('policy.shareLinks.revoke', { principal, resourceId, linkId }),
    );
  }

  /**
   * Machine / service access: the resource admits bearer JWTs this issuer signed. Policies name its
   * callers by issuer id and `sub` (`subjects.tokens`).
   */
  @Post(':id/token-issuers')
  @Endpoint({
    summary:
      'Trust a token issuer (iss, aud, algorithms, verification keys as JWKs; an HMAC key is sealed and never shown again, only its fingerprint)',
    tag: 'resources',
    body: TokenIssuerBody,
    response: TokenIssuerJson,
    keys: 'camel',
  })
  async addTokenIssuer(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @ValidBody() issuer: z.output<typeof TokenIssuerBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const added = await this.policy.request('policy.tokenIssuers.add', { principal, resourceId, issuer });
    void reply.status(201);
    return snakeJson(added);
  }

  @Get(':id/token-issuers')
  @Endpoint({
    summary: 'List the token issuers it trusts',
    tag: 'resources',
    response: TokenIssuerListJson,
    keys: 'camel',
  })
  async listTokenIssuers(@Caller() principal: Principal, @Param('id') resourceId: string) {
    return snakeJson({
      items: await this.policy.request('policy.tokenIssuers.list', { principal, resourceId }),
    });
  }

  @Delete(':id/token-issuers/:issuerId')
  @HttpCode(204)
  @Endpoint({
    summary: 'Stop trusting a token issuer (gateways refuse its tokens within seconds)',
    tag: 'resources',
  })
  async removeTokenIssuer(
    @Caller() principal: Principal,
    @Param('id') resourceId: string,
    @Param('issuerId') issuerId: string,
  ) {
    await this.policy.request('policy.tokenIssuers.remove', { principal, resourceId, issuerId });
  }

  #set(principal: Principal, id: string, method: 'pin' | 'password', secret: string | null) {
    return this.policy.request('policy.resources.setAccessSecret', { principal, id, method, secret });
  }
}

function shareLinkJson(link: ShareLinkView) {
  return {
    id: link.id,
    resource_id: link.resourceId,
    created_at: link.createdAt,
    expires_at: link.expiresAt,
    revoked_at: link.revokedAt,
  };
}
