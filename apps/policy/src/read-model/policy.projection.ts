import type { EntityManager } from 'typeorm';
import type { PlatformEvent } from '@rustronaut/contracts';
import { isEventOf, type Projection } from '@rustronaut/eventstore';

/** The events this read model applies (a case of `apply` each; the compiler holds the two together). */
const POLICY_EVENTS = new Set([
  'SiteCreated',
  'SiteUpdated',
  'SiteDeleted',
  'SitePortClaimed',
  'SitePortReleased',
  'SiteConnectorTokenIssued',
  'ResourceCreated',
  'ResourceUpdated',
  'ResourceDeleted',
  'ResourceTargetAdded',
  'ResourceTargetUpdated',
  'ResourceTargetRemoved',
  'ResourceAccessSecretSet',
  'ResourceShareLinkCreated',
  'ResourceShareLinkRevoked',
  'ResourceTokenIssuerAdded',
  'ResourceTokenIssuerRemoved',
  'PolicyCreated',
  'PolicyUpdated',
  'PolicyDeleted',
  'DeviceRegistered',
  'DeviceRevoked',
] as const);

/** Sites, resources (their settings as JSON), targets and policies, one table each. */
export function policyProjection(schema: string): Projection<PlatformEvent> {
  const t = (table: string) => `"${schema}"."${table}"`;
  return {
    name: `${schema}_read_model`,
    eventTypes: POLICY_EVENTS,
    async apply(event, { manager, sequence }) {
      if (!isEventOf(POLICY_EVENTS, event)) return; // other services' events
      const q = (sql: string, params: unknown[]) => manager.query(sql, params);
      const id = event.aggregateId;
      const at = event.occurredAt;
      switch (event.type) {
        case 'SiteCreated':
          return void (await q(
            `INSERT INTO ${t('sites')} (id, org_id, name, subnet, region, connection_type, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)`,
            [
              id,
              event.orgId,
              event.data.name,
              event.data.subnet,
              event.data.region,
              event.data.connectionType,
              at,
              sequence,
            ],
          ));
        case 'SiteUpdated':
          return void (await q(
            `UPDATE ${t('sites')} SET name = COALESCE($2, name), subnet = COALESCE($3, subnet), region = COALESCE($4, region),
             connection_type = COALESCE($5, connection_type), updated_at = $6, version = $7 WHERE id = $1`,
            [
              id,
              event.data.name ?? null,
              event.data.subnet ?? null,
              event.data.region ?? null,
              event.data.connectionType ?? null,
              at,
              sequence,
            ],
          ));
        case 'SiteDeleted':
          return void (await q(
            `UPDATE ${t('sites')} SET deleted = true, updated_at = $2, version = $3 WHERE id = $1`,
            [id, at, sequence],
          ));
        case 'SitePortClaimed':
        case 'SitePortReleased':
        case 'SiteConnectorTokenIssued':
          return void (await q(`UPDATE ${t('sites')} SET version = $2 WHERE id = $1`, [id, sequence]));
        case 'ResourceCreated':
          return void (await q(
            `INSERT INTO ${t('resources')} (id, org_id, site_id, data, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $5, $6)`,
            [id, event.orgId, event.data.siteId, event.data, at, sequence],
          ));
        case 'ResourceUpdated':
          return void (await q(
            `UPDATE ${t('resources')} SET data = data || $2::jsonb, updated_at = $3, version = $4 WHERE id = $1`,
            [id, JSON.stringify(stripUndefined(event.data)), at, sequence],
          ));
        case 'ResourceDeleted':
          await q(`DELETE FROM ${t('targets')} WHERE resource_id = $1`, [id]);
          return void (await q(
            `UPDATE ${t('resources')} SET deleted = true, updated_at = $2, version = $3 WHERE id = $1`,
            [id, at, sequence],
          ));
        case 'ResourceTargetAdded': {
          const { targetId, ...target } = event.data;
          // position: a serial, so targets keep the order they were added in, also within one commit
          await q(`INSERT INTO ${t('targets')} (id, resource_id, org_id, data) VALUES ($1, $2, $3, $4)`, [
            targetId,
            id,
            event.orgId,
            target,
          ]);
          return void (await q(`UPDATE ${t('resources')} SET updated_at = $2, version = $3 WHERE id = $1`, [
            id,
            at,
            sequence,
          ]));
        }
        case 'ResourceTargetUpdated': {
          const { targetId, ...changes } = event.data;
          await q(`UPDATE ${t('targets')} SET data = data || $2::jsonb WHERE id = $1`, [
            targetId,
            JSON.stringify(stripUndefined(changes)),
          ]);
          return void (await q(`UPDATE ${t('resources')} SET updated_at = $2, version = $3 WHERE id = $1`, [
            id,
            at,
            sequence,
          ]));
        }
        case 'ResourceTargetRemoved':
          await q(`DELETE FROM ${t('targets')} WHERE id = $1`, [event.data.targetId]);
          return void (await q(`UPDATE ${t('resources')} SET updated_at = $2, version = $3 WHERE id = $1`, [
            id,
            at,
            sequence,
          ]));
        case 'ResourceAccessSecretSet':
          // Only whether it is set: the hash stays in the events (and the snapshot for gateways).
          return void (await q(
            `UPDATE ${t('resources')} SET data = jsonb_set(data, '{access}', coalesce(data->'access', '{"pin": false, "password": false}'::jsonb) || jsonb_build_object($2::text, $3::boolean)), updated_at = $4, version = $5 WHERE id = $1`,
            [id, event.data.method, event.data.hash !== null, at, sequence],
          ));
        // Token issuers stay in the events (listed from the aggregate) and the snapshots.
        case 'ResourceShareLinkCreated':
        case 'ResourceShareLinkRevoked':
        case 'ResourceTokenIssuerAdded':
        case 'ResourceTokenIssuerRemoved':
          return void (await q(`UPDATE ${t('resources')} SET updated_at = $2, version = $3 WHERE id = $1`, [
            id,
            at,
            sequence,
          ]));
        case 'PolicyCreated':
          return void (await q(
            `INSERT INTO ${t('policies')} (id, org_id, data, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $4, $5)`,
            [id, event.orgId, event.data, at, sequence],
          ));
        case 'PolicyUpdated':
          return void (await q(
            `UPDATE ${t('policies')} SET data = data || $2::jsonb, updated_at = $3, version = $4 WHERE id = $1`,
            [id, JSON.stringify(stripUndefined(event.data)), at, sequence],
          ));
        case 'PolicyDeleted':
          return void (await q(
            `UPDATE ${t('policies')} SET deleted = true, updated_at = $2, version = $3 WHERE id = $1`,
            [id, at, sequence],
          ));
        case 'DeviceRegistered':
          return void (await q(
            `INSERT INTO ${t('devices')} (id, org_id, site_id, user_id, name, public_key, address, created_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
            [id, event.orgId, event.data.siteId, event.data.userId, event.data.name, event.data.publicKey,
              event.data.address, at, sequence],
          ));
        case 'DeviceRevoked':
          return void (await q(`UPDATE ${t('devices')} SET revoked_at = $2, version = $3 WHERE id = $1`, [
            id,
            at,
            sequence,
          ]));
        default:
          return event satisfies never;
      }
    },
    async reset(manager: EntityManager) {
      await manager.query(`TRUNCATE ${['sites', 'resources', 'targets', 'policies', 'devices'].map(t).join(', ')}`);
    },
  };
}

function stripUndefined(value: object): object {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
