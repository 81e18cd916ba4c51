import { retryOnConflict } from './commit-and-wait';
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
