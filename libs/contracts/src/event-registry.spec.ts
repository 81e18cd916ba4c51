import { z } from 'zod';
import { defineEvent, upcaster } from './event-definition';
import { EventRegistry } from './event-registry';
import { ContractsErrorCode } from './errors';
import type { EventEnvelope } from './envelope';

// A user's name was one string in v1, split in v2; v3 added a locale with a default.
const MemberJoined = defineEvent({
  type: 'MemberJoined',
  aggregate: 'member',
  version: 3,
  schema: z.object({ firstName: z.string(), lastName: z.string(), locale: z.string() }),
  upcasters: [
    upcaster(1, z.object({ name: z.string() }), ({ name }) => {
      const [firstName = '', ...rest] = name.split(' ');
      return { firstName, lastName: rest.join(' ') };
    }),
    upcaster(2, z.object({ firstName: z.string(), lastName: z.string() }), (d) => ({ ...d, locale: 'en' })),
  ],
});
const MemberLeft = defineEvent({ type: 'MemberLeft', aggregate: 'member', schema: z.object({}) });

function stored(type: string, version: number, data: unknown): EventEnvelope {
  return {
    id: 'e1',
    type,
    version,
    aggregateType: 'member',
    aggregateId: 'm1',
    orgId: 'o1',
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { kind: 'system', id: 'system' },
    commandId: 'c1',
    trace: {},
    data,
  };
}

describe('EventRegistry', () => {
  const sut = new EventRegistry([MemberJoined, MemberLeft]);

  it('reads a version-1 event as the current version through every upcaster', () => {
    const event = sut.read(stored('MemberJoined', 1, { name: 'Ada King Lovelace' }));
    expect(event.version).toBe(3);
    expect(event.data).toEqual({ firstName: 'Ada', lastName: 'King Lovelace', locale: 'en' });
  });

  it('reads a current event unchanged', () => {
    const data = { firstName: 'Grace', lastName: 'Hopper', locale: 'fr' };
    expect(sut.read(stored('MemberJoined', 3, data)).data).toEqual(data);
  });

  it('refuses an old event whose data does not match its old schema, naming the field', () => {
    expect(() => sut.read(stored('MemberJoined', 1, { nom: 'x' }))).toThrow(/MemberJoined" v1.*name/s);
  });

  it('refuses an event newer than the build knows', () => {
    expect(() => sut.read(stored('MemberJoined', 4, {}))).toThrow(
      expect.objectContaining({ code: ContractsErrorCode.UnknownEventVersion }),
    );
  });

  it('refuses an unknown type and a malformed envelope', () => {
    expect(() => sut.read(stored('Nope', 1, {}))).toThrow(
      expect.objectContaining({ code: ContractsErrorCode.UnknownEventType }),
    );
    expect(() => sut.read({ type: 'MemberLeft' })).toThrow(
      expect.objectContaining({ code: ContractsErrorCode.InvalidEvent }),
    );
  });

  it('validates new event data against the current schema', () => {
    expect(() => sut.validateData('MemberJoined', { firstName: 'a' })).toThrow(/lastName/);
    expect(sut.validateData('MemberLeft', {})).toEqual({});
  });

  it('refuses a definition that skips an upcaster, or a type registered twice', () => {
    const broken = defineEvent({ type: 'Broken', aggregate: 'x', version: 2, schema: z.object({}) });
    expect(() => new EventRegistry([broken])).toThrow(/no upcaster from version 1/);
    expect(() => new EventRegistry([MemberLeft, MemberLeft])).toThrow(
      expect.objectContaining({ code: ContractsErrorCode.DuplicateEventType }),
    );
  });
});
