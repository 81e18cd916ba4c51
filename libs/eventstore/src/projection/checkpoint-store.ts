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
    await manager.query(
      `INSERT INTO ${this.#table} (projection, sequence) VALUES ($1, 0) ON CONFLICT (projection) DO NOTHING`,
      [projection],
    );
    const rows: { sequence: string }[] = await manager.query(
      `SELECT sequence FROM ${this.#table} WHERE projection = $1 FOR UPDATE`,
      [projection],
    );
    return Number(rows[0]?.sequence ?? 0);
  }

  async write(manager: EntityManager, projection: string, sequence: number): Promise<void> {
    await manager.query(`UPDATE ${this.#table} SET sequence = $2, updated_at = now() WHERE projection = $1`, [
      projection,
      sequence,
    ]);
  }
}
