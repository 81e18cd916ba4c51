import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';
import type { LedgerEvent } from './ledger-events';

/**
 * Balances per account, plus a row per applied event with a counter that a second application
 * would push to 2: the tests read it to prove exactly-once.
 */
export function ledgerProjection(
  name: string,
  hooks: { beforeApply?: (e: LedgerEvent) => void } = {},
): Projection<LedgerEvent> {
  return {
    name,
    aggregateType: 'account',
    async apply(event, { manager, sequence }) {
      hooks.beforeApply?.(event);
      await manager.query(
        `INSERT INTO applied_events (event_id, sequence, times) VALUES ($1, $2, 1)
         ON CONFLICT (event_id) DO UPDATE SET times = applied_events.times + 1`,
        [event.id, sequence],
      );
      switch (event.type) {
        case 'AccountOpened':
          await manager.query(`INSERT INTO balances (account_id, owner, cents) VALUES ($1, $2, 0)`, [
            event.aggregateId,
            event.data.owner,
          ]);
          break;
        case 'AmountDeposited':
          await manager.query(`UPDATE balances SET cents = cents + $2 WHERE account_id = $1`, [
            event.aggregateId,
            event.data.cents,
          ]);
          break;
      }
    },
    async reset(manager: EntityManager) {
      await manager.query('TRUNCATE applied_events, balances');
    },
  };
}

export async function createLedgerTables(manager: EntityManager): Promise<void> {
  await manager.query(
    `CREATE TABLE IF NOT EXISTS applied_events (event_id uuid PRIMARY KEY, sequence bigint NOT NULL, times int NOT NULL)`,
  );
  await manager.query(
    `CREATE TABLE IF NOT EXISTS balances (account_id text PRIMARY KEY, owner text NOT NULL, cents bigint NOT NULL)`,
  );
}
