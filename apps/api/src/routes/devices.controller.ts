import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  DEVICE_KEY_HEADER,
  IdSchema,
  NameSchema,
  WireGuardPublicKeySchema,
  type Principal,
} from '@rustronaut/contracts';
import { Caller } from '../auth/auth.guard';
import { Devices } from '../devices/devices';
import { Endpoint, ValidBody, ValidQuery } from '../http/endpoint';
import { snakeJson } from '../http/request';
import { CreatedDeviceJson, DeviceJson, DeviceListJson } from '../http/responses';

export const DeviceBody = z.strictObject({
  name: NameSchema,
  siteId: IdSchema,
  publicKey: WireGuardPublicKeySchema.optional(),
});
export const DeviceListQuery = z.object({ user_id: IdSchema.optional() });
export const DeviceConfigQuery = z.object({
  format: z.enum(['conf', 'qr', 'json']).default('conf'),
  image: z.enum(['svg', 'png']).default('svg'),
});

/** WireGuard devices: a person's laptop or phone in a site's VPN. Members manage their own, admins all. */
@Controller('api/v1/devices')
export class DevicesController {
  constructor(@Inject(Devices) private readonly devices: Devices) {}

  /** Without public_key the console makes the key pair: the private key (and config) is in this answer only. */
  @Post()
  @Endpoint({
    summary:
      'Register a WireGuard device in a site (address from the site subnet); without public_key the key pair is made and its private key shown once',
    tag: 'devices',
    body: DeviceBody,
    response: CreatedDeviceJson,
    keys: 'camel',
    errors: [409],
  })
  async create(
    @Caller() principal: Principal,
    @ValidBody() input: z.output<typeof DeviceBody>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const device = await this.devices.create(principal, input);
    void reply
      .status(201)
      .header('Location', `/api/v1/devices/${device.id}`)
      .header('Cache-Control', 'no-store');
    return snakeJson(device);
  }

  @Get()
  @Endpoint({
    summary: 'List devices (members: their own; admins: all, or one user’s)',
    tag: 'devices',
    query: DeviceListQuery,
    response: DeviceListJson,
    keys: 'camel',
  })
  async list(@Caller() principal: Principal, @ValidQuery() { user_id }: z.output<typeof DeviceListQuery>) {
    return snakeJson(await this.devices.list(principal, user_id));
  }

  @Get(':id')
  @Endpoint({
    summary: 'One device, with when a gateway last saw it',
    tag: 'devices',
    response: DeviceJson,
    keys: 'camel',
  })
  async get(@Caller() principal: Principal, @Param('id') id: string) {
    return snakeJson(await this.devices.get(principal, id));
  }

  /** The device leaves its gateways with the next snapshot: its traffic stops within about a second. */
  @Delete(':id')
  @HttpCode(204)
  @Endpoint({ summary: 'Revoke a device: its gateways drop the peer and its traffic', tag: 'devices' })
  async revoke(@Caller() principal: Principal, @Param('id') id: string) {
    await this.devices.revoke(principal, id);
  }

  /**
   * wg-quick text (`format=conf`), a QR code of it for the official apps (`format=qr`, `image=svg|png`),
   * or its parts as JSON (`format=json`). The private key goes in the X-Rustronaut-Device-Key header
   * (never stored); without it the PrivateKey line is left for the device.
   */
  @Get(':id/config')
  @Endpoint({
    summary:
      'A device’s WireGuard config: wg-quick text, QR (SVG/PNG) or JSON; the private key, never stored, from the X-Rustronaut-Device-Key header',
    tag: 'devices',
    query: DeviceConfigQuery,
    response: z.string(),
    produces: 'text/plain',
    errors: [409],
  })
  async config(
    @Caller() principal: Principal,
    @Param('id') id: string,
    @ValidQuery() query: z.output<typeof DeviceConfigQuery>,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers(DEVICE_KEY_HEADER) privateKey?: string,
  ) {
    const format =
      query.format === 'qr' ? { format: 'qr' as const, image: query.image } : { format: query.format };
    const { type, body } = await this.devices.config(principal, id, format, privateKey);
    void reply.header('Content-Type', type).header('Cache-Control', 'no-store');
    return type === 'application/json' ? snakeJson(body) : body;
  }
}
