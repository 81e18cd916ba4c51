import { createTestSchema, type TestSchema } from '@rustronaut/testing';
import { FoldSnapshots } from './fold-snapshots';

describe('FoldSnapshots (real PostgreSQL)', () => {
  let db: TestSchema;
  const options = { fold: 'site-config', formatVersion: 3, stream: 'RN_EVENTS@2026-12-07T00:00:00Z' };
  const sut = (over: Partial<typeof options> = {}) =>
    new FoldSnapshots(db.dataSource, db.schema, { ...options, ...over });

  beforeEach(async () => {
    db = await createTestSchema('fold_snapshots');
    await sut().ensureTable();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('gives back the state it stored, with the sequence it covers; a newer save replaces it whole', async () => {
    expect(await sut().load(100)).toBeUndefined();
    await sut().save(40, { sites: [['st_a', { name: 'A' }]] });
    expect(await sut().load(100)).toEqual({ sequence: 40, state: { sites: [['st_a', { name: 'A' }]] } });
    await sut().save(90, { sites: [] });
    expect(await sut().load(100)).toEqual({ sequence: 90, state: { sites: [] } });
  });

  it('does not use a state of another format, another stream, damaged, or ahead of the stream', async () => {
    await sut().save(40, { n: 1 });
    expect(await sut({ formatVersion: 4 }).load(100)).toEqual({ refused: 'format' });
    expect(await sut({ stream: 'RN_EVENTS@2026-12-08T00:00:00Z' }).load(100)).toEqual({ refused: 'stream' });
    expect(await sut().load(39)).toEqual({ refused: 'ahead' });
    await db.dataSource.query(`UPDATE "${db.schema}".fold_snapshots SET state = '{"n":2}'`);
    expect(await sut().load(100)).toEqual({ refused: 'checksum' });
    await sut().save(41, { n: 3 });
    await db.dataSource.query(`UPDATE "${db.schema}".fold_snapshots SET sequence = 45`);
    expect(await sut().load(100)).toEqual({ refused: 'checksum' });
    await sut().clear();
    expect(await sut().load(100)).toBeUndefined();
  });
});
