import {
  actorOf,
  forbidden,
  newId,
  roleAtLeast,
  type DeviceCommand,
  type DeviceResponses,
  type DeviceView,
  type Principal,
} from '@rustronaut/contracts';
import { commitAndWait } from '@rustronaut/eventstore';
import { generateKeyPair, nextFreeAddress } from '@rustronaut/wireguard';
import { evolveSite, fold } from '../domain/aggregates';
import { notFound } from '../domain/errors';
import type { PolicyDeps } from '../use-cases/policy-deps';
import { DeviceError, DeviceErrorCode } from './device-errors';
import { deviceKeys, deviceRefs, type DeviceKeys } from './device-keys';
import type { DeviceQueries } from './device.queries';

/** How many addresses a registration tries when others take them first. */
const ADDRESS_ATTEMPTS = 40;

/**
 * WireGuard devices: a member registers and revokes their own, an admin anyone's. The address is
 * the lowest free one of the site's subnet, reserved with the device's key (the event store's
 * reservations, one book per site) around the device's own commit: two devices never share one,
 * however many register at once, and a failed commit gives both back.
 */
export class DeviceUseCases {
  readonly #keys: DeviceKeys;

  constructor(
    private readonly deps: PolicyDeps,
    private readonly queries: DeviceQueries,
  ) {
    this.#keys = deviceKeys(deps.store, deps.clock);
  }

  async create(
    principal: Principal,
    { device }: Omit<DeviceCommand<'policy.devices.create'>, 'principal'>,
  ): Promise<DeviceResponses['policy.devices.create']> {
    const site = fold((await this.deps.store.load({ type: 'site', id: device.siteId })).events, evolveSite);
    if (!site || site.deleted || site.orgId !== principal.orgId) throw notFound('site', device.siteId);
    const pair = device.publicKey === undefined ? generateKeyPair() : undefined;
    const publicKey = pair?.publicKey ?? device.publicKey ?? '';
    const id = newId('dev');
    const meta = { orgId: principal.orgId, actor: actorOf(principal) };
    for (let attempt = 1; ; attempt++) {
      const used = await this.#keys.reservations.keys(this.#keys.addresses, device.siteId);
      const address = nextFreeAddress(site.subnet, used.keys());
      const data = { siteId: device.siteId, userId: principal.userId, name: device.name, publicKey, address };
      try {
        await this.#keys.reservations.holdWhile(
          { owner: id, ...meta, reserve: deviceRefs(this.#keys, data) },
          () =>
            commitAndWait(this.deps, { type: 'device', id }, 0, [{ type: 'DeviceRegistered', data }], meta),
        );
        break;
      } catch (error) {
        if (!(error instanceof DeviceError && error.code === DeviceErrorCode.AddressTaken)) throw error;
        if (attempt >= ADDRESS_ATTEMPTS)
          throw new DeviceError(
            DeviceErrorCode.Busy,
            'too many devices are being added to this site at once: try again',
            { cause: error },
          );
      }
    }
    const view = await this.get(principal, id);
    return pair ? { ...view, privateKey: pair.privateKey } : view;
  }

  async get(principal: Principal, id: string): Promise<DeviceView> {
    const device = await this.queries.device({ orgId: principal.orgId }, id);
    if (!device || !mayManage(principal, device.userId)) throw notFound('device', id);
    return device;
  }

  list(principal: Principal, userId: string | undefined): Promise<DeviceView[]> {
    if (!roleAtLeast(principal.role, 'admin')) {
      if (userId !== undefined && userId !== principal.userId)
        throw forbidden("members see their own devices only: an admin can list another user's");
      return this.queries.devices({ orgId: principal.orgId }, principal.userId);
    }
    return this.queries.devices({ orgId: principal.orgId }, userId);
  }

  /** The device leaves the snapshot (its gateways drop the peer); its address and key are free again. */
  async revoke(principal: Principal, id: string): Promise<{ revoked: true }> {
    const device = await this.get(principal, id);
    const loaded = await this.deps.store.load({ type: 'device', id });
    if (loaded.events.some((e) => e.type === 'DeviceRevoked')) throw notFound('device', id);
    const meta = { orgId: principal.orgId, actor: actorOf(principal) };
    await this.#keys.reservations.holdWhile(
      { owner: id, ...meta, release: deviceRefs(this.#keys, device) },
      () =>
        commitAndWait(
          this.deps,
          { type: 'device', id },
          loaded.version,
          [{ type: 'DeviceRevoked', data: {} }],
          {
            ...meta,
            commandId: `${id}:revoke`,
          },
        ),
    );
    return { revoked: true };
  }
}

const mayManage = (principal: Principal, owner: string) =>
  owner === principal.userId || roleAtLeast(principal.role, 'admin');
