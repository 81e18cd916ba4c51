import { Controller, Get, Inject } from '@nestjs/common';
import { Public } from '../auth/auth.guard';
import { Endpoint } from '../http/endpoint';
import { ConfigKeysJson } from '../http/responses';
import { DISTRIBUTOR, type DistributorClient } from './tokens';

@Controller('api/v1/config')
export class ConfigController {
  constructor(@Inject(DISTRIBUTOR) private readonly distributor: DistributorClient) {}

  /** The public keys that verify site config snapshots (what a gateway trusts). */
  @Public()
  @Get('keys')
  @Endpoint({
    summary: 'Public keys that verify site config snapshots',
    tag: 'gateways',
    response: ConfigKeysJson,
  })
  async keys() {
    const { keys } = await this.distributor.request('distributor.keys', {});
    return { keys: keys.map((k) => ({ id: k.id, public_key: k.publicKey })) };
  }
}
