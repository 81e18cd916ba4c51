import type { EntityManager } from 'typeorm';
import type { PlatformEvent } from '@rustronaut/contracts';
import { isEventOf, type Projection } from '@rustronaut/eventstore';

/** The events this read model applies (a case of `apply` each; the compiler holds the two together). */
const GATEWAY_EVENTS = new Set([
  'GatewayCreated',
  'GatewayEnrolled',
  'GatewayConfigUpdated',
  'GatewayStatusChanged',
  'GatewayDeleted',
] as const);

/** The fleet as events describe it. Reports (revisions, heartbeats) are written beside, not by events. */
export function gatewayProjection(schema: string): Projection<PlatformEvent> {
  const table = `"${schema}"."gateways"`;
  return {
    name: `${schema}_read_model`,
    eventTypes: GATEWAY_EVENTS,
    async apply(event, { manager, sequence }) {
      if (!isEventOf(GATEWAY_EVENTS, event)) return; // other services' events
      const id = event.aggregateId;
      const at = event.occurredAt;
      switch (event.type) {
        case 'GatewayCreated': {
          const { enrollmentTokenHash, enrollmentExpiresAt, ...settings } = event.data;
          return void (await manager.query(
            `INSERT INTO ${table} (id, org_id, settings, enrollment_token_hash, enrollment_expires_at, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
            [id, event.orgId, settings, enrollmentTokenHash, enrollmentExpiresAt, at, sequence],
          ));
        }
        case 'GatewayEnrolled':
          return void (await manager.query(
            `UPDATE ${table} SET public_key = $2, nats_public_key = $3, enrolled_at = $4, updated_at = $4, version = $5 WHERE id = $1`,
            [id, event.data.publicKey, event.data.natsPublicKey, at, sequence],
          ));
        case 'GatewayConfigUpdated':
          return void (await manager.query(
            `UPDATE ${table} SET settings = settings || $2::jsonb, updated_at = $3, version = $4 WHERE id = $1`,
            [
              id,
              JSON.stringify(
                Object.fromEntries(Object.entries(event.data).filter(([, v]) => v !== undefined)),
              ),
              at,
              sequence,
            ],
          ));
        case 'GatewayStatusChanged':
          return void (await manager.query(
            `UPDATE ${table} SET status = $2, updated_at = $3, version = $4 WHERE id = $1`,
            [id, event.data.status, at, sequence],
          ));
        case 'GatewayDeleted':
          return void (await manager.query(
            `UPDATE ${table} SET deleted = true, updated_at = $2, version = $3 WHERE id = $1`,
            [id, at, sequence],
          ));
        default:
          return event satisfies never;
      }
    },
    async reset(manager: EntityManager) {
      await manager.query(`TRUNCATE ${table}`);
    },
  };
}
