import { platformRegistry, type PlatformEvent } from '@rustronaut/contracts';

let n = 0;
/** A platform event as the fold reads it, with a fresh id and command id (for the fold's specs). */
export const ev = (type: string, aggregateId: string, data: object, orgId = 'org_a'): PlatformEvent =>
  platformRegistry.read({
    id: `00000000-0000-5000-8000-${String(++n).padStart(12, '0')}`,
    type,
    version: 1,
    aggregateType: platformRegistry.definition(type).aggregate,
    aggregateId,
    orgId,
    occurredAt: '2026-11-24T00:00:00.000Z',
    actor: { kind: 'system', id: 'system' },
    commandId: `c${n}`,
    trace: {},
    data,
  });
