import type { DataSource, EntityManager } from 'typeorm';

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
   * Locks the projection's row for the rest of the transaction and moves it to `sequence`, in one
   * round trip. False, and nothing written, when the projection is already there or past it (the
   * row stays locked either way).
   */
  async claim(manager: EntityManager, projection: string, sequence: number): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO ${this.#table} AS c (projection, sequence) VALUES ($1, $2)
       ON CONFLICT (projection) DO UPDATE SET sequence = EXCLUDED.sequence, updated_at = now()
       WHERE c.sequence < EXCLUDED.sequence
       RETURNING 1`,
      [projection, sequence],
    );
    return rows.length > 0;
  }

  async write(manager: EntityManager, projection: string, sequence: number): Promise<void> {
    await manager.query(`UPDATE ${this.#table} SET sequence = $2, updated_at = now() WHERE projection = $1`, [
      projection,
      sequence,
    ]);
  }
}
