import { setTimeout as sleep } from 'node:timers/promises';
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
import { ConcurrencyConflictError, commitAndWait } from '@rustronaut/eventstore';
import { generateKeyPair } from '@rustronaut/wireguard';
import { evolveSite, fold } from '../domain/aggregates';
import { notFound } from '../domain/errors';
import type { PolicyDeps } from '../use-cases/policy-deps';
import { decideAddress, evolveAddressBook } from './address-book';
import { DeviceError, DeviceErrorCode } from './device-errors';
import type { DeviceQueries } from './device.queries';

/** How many times a claim races other claims on the same site before it gives up (with jitter). */
const CLAIM_ATTEMPTS = 40;

/**
 * WireGuard devices: a member registers and revokes their own, an admin anyone's. The address
 * comes from the site's subnet through a claim on the site's address book (one aggregate per
 * site), so two devices never share one, however many register at once; the claim is released
 * when the device's own commit fails.
 */
export class DeviceUseCases {
  constructor(
    private readonly deps: PolicyDeps,
    private readonly queries: DeviceQueries,
  ) {}

  async create(
    principal: Principal,
    { device }: Omit<DeviceCommand<'policy.devices.create'>, 'principal'>,
  ): Promise<DeviceResponses['policy.devices.create']> {
    const site = fold((await this.deps.store.load({ type: 'site', id: device.siteId })).events, evolveSite);
    if (!site || site.deleted || site.orgId !== principal.orgId) throw notFound('site', device.siteId);
    const pair = device.publicKey ? undefined : generateKeyPair();
    const publicKey = pair?.publicKey ?? device.publicKey ?? '';
    const id = newId('dev');
    const address = await this.#claimAddress(principal, device.siteId, site.subnet, id, publicKey);
    try {
      await commitAndWait(
        this.deps,
        { type: 'device', id },
        0,
        [{ type: 'DeviceRegistered', data: { siteId: device.siteId, userId: principal.userId, name: device.name, publicKey, address } }],
        { orgId: principal.orgId, actor: actorOf(principal) },
      );
    } catch (error) {
      await this.#releaseAddress(principal, device.siteId, id);
      throw error;
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

  async revoke(principal: Principal, id: string): Promise<{ revoked: true }> {
    const device = await this.get(principal, id);
    const loaded = await this.deps.store.load({ type: 'device', id });
    if (loaded.events.some((e) => e.type === 'DeviceRevoked')) throw notFound('device', id);
    await commitAndWait(this.deps, { type: 'device', id }, loaded.version, [{ type: 'DeviceRevoked', data: {} }], {
      orgId: principal.orgId,
      actor: actorOf(principal),
      commandId: `${id}:revoke`,
    });
    await this.#releaseAddress(principal, device.siteId, id);
    return { revoked: true };
  }

  async #claimAddress(principal: Principal, siteId: string, subnet: string, deviceId: string, publicKey: string): Promise<string> {
    const aggregate = { type: 'site_addresses', id: siteId };
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.deps.store.load(aggregate);
      const { address } = decideAddress(subnet, fold(loaded.events, evolveAddressBook), publicKey);
      try {
        await this.deps.store.append(
          aggregate,
          loaded.version,
          [{ type: 'DeviceAddressAssigned', data: { deviceId, address, publicKey } }],
          { commandId: `${deviceId}:address`, orgId: principal.orgId, actor: actorOf(principal) },
        );
        return address;
      } catch (error) {
        if (!(error instanceof ConcurrencyConflictError)) throw error;
        if (attempt >= CLAIM_ATTEMPTS) {
          throw new DeviceError(DeviceErrorCode.Busy, 'too many devices are being added to this site at once: try again', { cause: error });
        }
        await sleep(Math.random() * Math.min(200, 5 * attempt));
      }
    }
  }

  async #releaseAddress(principal: Principal, siteId: string, deviceId: string): Promise<void> {
    const aggregate = { type: 'site_addresses', id: siteId };
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.deps.store.load(aggregate);
      if (!fold(loaded.events, evolveAddressBook)?.devices.has(deviceId)) return;
      try {
        await this.deps.store.append(aggregate, loaded.version, [{ type: 'DeviceAddressReleased', data: { deviceId } }], {
          commandId: `${deviceId}:address-release`,
          orgId: principal.orgId,
          actor: actorOf(principal),
        });
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyConflictError) || attempt >= CLAIM_ATTEMPTS) throw error;
        await sleep(Math.random() * Math.min(200, 5 * attempt));
      }
    }
  }
}

const mayManage = (principal: Principal, owner: string) =>
  owner === principal.userId || roleAtLeast(principal.role, 'admin');
