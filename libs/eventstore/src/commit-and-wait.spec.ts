import { commitAndWait, retryOnConflict } from './commit-and-wait';
import type { EventStore } from './event-store';
import type { ProjectionRunner } from './projection/projection-runner';
import { ConcurrencyConflictError, EventStoreErrorCode, PreconditionFailedError } from './errors';

const conflict = (expected: number, actual: number) =>
  new ConcurrencyConflictError('resource res_1', expected, actual);

describe('retryOnConflict', () => {
  it('given a change on a named version (If-Match), when that version is no longer current, then its precondition fails with the current version', async () => {
    const error = await retryOnConflict(5, () => Promise.reject(conflict(5, 7))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(error).toMatchObject({
      code: EventStoreErrorCode.PreconditionFailed,
      details: { expectedVersion: 5, currentVersion: 7 },
    });
  });

  it('given a change on a named version, when another aggregate conflicts, then that conflict is not a failed precondition', async () => {
    const error = await retryOnConflict(5, () => Promise.reject(conflict(9, 11))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyConflictError);
  });

  it('given a change without a version, when someone else got there first, then it is decided again (a few times)', async () => {
    let tries = 0;
    await expect(
      retryOnConflict(undefined, () =>
        ++tries < 3 ? Promise.reject(conflict(1, 2)) : Promise.resolve('done'),
      ),
    ).resolves.toBe('done');
    tries = 0;
    await expect(
      retryOnConflict(undefined, () => {
        tries++;
        return Promise.reject(conflict(1, 2));
      }),
    ).rejects.toBeInstanceOf(ConcurrencyConflictError);
    expect(tries).toBe(5);
  });
});

describe('commitAndWait with no events (a change that changes nothing)', () => {
  const resource = { type: 'resource', id: 'res_1' };
  const meta = { orgId: 'org_1', actor: { kind: 'user', id: 'usr_1' } } as const;
  // The aggregate is at version 7; nothing may be appended.
  const target = {
    store: {
      load: () => Promise.resolve({ version: 7, events: [] }),
      append: () => Promise.reject(new Error('a change that changes nothing appended')),
    } as unknown as EventStore,
    readModel: { waitFor: () => Promise.resolve() } as unknown as ProjectionRunner,
  };

  it('given the current version, when nothing is to change, then nothing is written and the version is answered', async () => {
    await expect(commitAndWait(target, resource, 7, [], meta)).resolves.toBe(7);
  });

  it('given a version that is no longer current (a stale If-Match), when nothing is to change, then its precondition fails as an append would', async () => {
    const error = await retryOnConflict(5, () => commitAndWait(target, resource, 5, [], meta)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PreconditionFailedError);
    expect(error).toMatchObject({ details: { expectedVersion: 5, currentVersion: 7 } });
  });
});
