import type { DataSource, EntityManager } from 'typeorm';

/** node-postgres' client under a TypeORM query runner: a simple query of several statements. */
interface SimpleQueryClient {
  query(text: string): Promise<{ rowCount: number | null }[]>;
}

/**
 * Where each projection remembers the last stream sequence it applied: a row in its own
 * service's schema, written in the same transaction as the read model.
 */
export class CheckpointStore {
  readonly #table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.#table = `"${schema.replaceAll('"', '""')}"."projection_checkpoints"`;
  }

  /** Creates the table if it is missing (idempotent; the service's migrations may also create it). */
  async ensureTable(): Promise<void> {
    await this.dataSource.query(
      `CREATE TABLE IF NOT EXISTS ${this.#table} (
         projection text PRIMARY KEY,
         sequence bigint NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  }

  async read(projection: string): Promise<number> {
    const rows: { sequence: string }[] = await this.dataSource.query(
      `SELECT sequence FROM ${this.#table} WHERE projection = $1`,
      [projection],
    );
    return Number(rows[0]?.sequence ?? 0);
  }

  /** Locks the projection's row for the rest of the transaction and returns its position. */
  async lock(manager: EntityManager, projection: string): Promise<number> {
    // One round trip: a missing row is created, an existing one is locked by the no-op update.
    const rows: { sequence: string }[] = await manager.query(
      `INSERT INTO ${this.#table} AS c (projection, sequence) VALUES ($1, 0)
       ON CONFLICT (projection) DO UPDATE SET projection = c.projection
       RETURNING sequence`,
      [projection],
    );
    return Number(rows[0]?.sequence ?? 0);
  }

  /**
   * In a transaction of its own: claims `sequence` for the projection first (locks its row and moves
   * it there in one statement; nothing written when the projection is already there or past it: a
   * redelivery, or another replica got there first), runs `apply` with the transaction's manager
   * when the claim holds, and commits. False, with nothing applied, when the claim does not hold.
   *
   * START TRANSACTION travels with the claim as one simple query (so its two values are written out:
   * the projection name is a subject token, the sequence a whole number): the transaction costs one
   * round trip less than TypeORM's transaction(), which sends START TRANSACTION alone. `apply` writes
   * through `manager.query`, as every projection does.
   */
  async claimAndApply(
    projection: string,
    sequence: number,
    apply: (manager: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    if (!Number.isSafeInteger(sequence) || sequence < 1)
      throw new Error(`not a stream sequence: ${sequence}`);
    const claimSql = `INSERT INTO ${this.#table} AS c (projection, sequence)
       VALUES ('${projection.replaceAll("'", "''")}', ${sequence})
       ON CONFLICT (projection) DO UPDATE SET sequence = EXCLUDED.sequence, updated_at = now()
       WHERE c.sequence < EXCLUDED.sequence
       RETURNING 1`;
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as SimpleQueryClient;
      let open = true;
      try {
        const [, claim] = await client.query(`START TRANSACTION; ${claimSql}`);
        const claimed = Boolean(claim?.rowCount);
        if (claimed) await apply(runner.manager);
        open = false;
        await client.query('COMMIT');
        return claimed;
      } catch (error) {
        // A failed claim, apply or commit leaves nothing: the whole transaction is rolled back.
        if (open) await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  async write(manager: EntityManager, projection: string, sequence: number): Promise<void> {
    await manager.query(`UPDATE ${this.#table} SET sequence = $2, updated_at = now() WHERE projection = $1`, [
      projection,
      sequence,
    ]);
  }
}
