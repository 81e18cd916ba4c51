import { z } from 'zod';
import { EventRegistry, defineEvent, upcaster, type EventOf } from '@rustronaut/contracts';

// A tiny ledger used by the event store's own tests. `AmountDeposited` was stored with the amount
// as a string of euros in version 1; version 2 stores integer cents.
export const AccountOpened = defineEvent({
  type: 'AccountOpened',
  aggregate: 'account',
  schema: z.object({ owner: z.string().min(1) }),
});

export const AmountDeposited = defineEvent({
  type: 'AmountDeposited',
  aggregate: 'account',
  version: 2,
  schema: z.object({ cents: z.number().int().positive() }),
  upcasters: [
    upcaster(1, z.object({ amount: z.string() }), ({ amount }) => ({
      cents: Math.round(Number(amount) * 100),
    })),
  ],
});

export const ledgerDefinitions = [AccountOpened, AmountDeposited];
export const ledgerRegistry = new EventRegistry(ledgerDefinitions);
export type LedgerEvent = EventOf<(typeof ledgerDefinitions)[number]>;
export type LedgerDefinition = (typeof ledgerDefinitions)[number];

export const testActor = { kind: 'user', id: 'u_test' } as const;
