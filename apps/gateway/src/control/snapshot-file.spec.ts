import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotFiles } from './snapshot-file';

describe('SnapshotFiles', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rn-snapshots-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a burst of snapshots of one site in order, every write succeeding, the last one kept', async () => {
    const sut = new SnapshotFiles(dir);
    const writes = Array.from({ length: 25 }, (_, i) =>
      sut.write('st_a', { keyId: 'k', payload: String(i), signature: 's' }),
    );
    await expect(Promise.all(writes)).resolves.toHaveLength(25);
    expect(await sut.read('st_a')).toEqual({ keyId: 'k', payload: '24', signature: 's' });
    expect(readdirSync(join(dir, 'sites'))).toEqual(['st_a.json']);
  });
});
