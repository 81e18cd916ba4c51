import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** A fold's state as stored, with the stream sequence it covers (every event up to it is in it). */
export interface FoldSnapshot<S> {
  sequence: number;
  state: S;
}

export interface FoldSnapshotsOptions {
  /** Which fold (one row per fold and schema). */
  fold: string;
  /** The version of the state's shape: a snapshot of another version is not used (the fold replays). */
  formatVersion: number;
  /**
   * The stream the sequence counts in, as `<name>@<created>`: a stream deleted and made again
   * starts counting anew, and a snapshot of the old one must not be used.
   */
  stream: string;
}

/** Why a stored snapshot was not used (for the log); undefined when there was none. */
export type SnapshotRefusal = 'format' | 'stream' | 'checksum' | 'ahead' | 'unreadable';

/**
 * Where a fold that would otherwise replay the whole event stream at start (the config
 * distributor) keeps its state: one row per fold in the service's own schema, replaced whole in
 * one statement (atomic), with a SHA-256 over everything it says, checked on load. A snapshot of
 * another format version, of another stream, damaged, or ahead of the stream is not used: the fold
 * then starts from the first event, as it would without one.
 */
export class FoldSnapshots {
  readonly #table: string;

  constructor(
    private readonly db: DataSource,
    schema: string,
    private readonly options: FoldSnapshotsOptions,
  ) {
    this.#table = `"${schema.replaceAll('"', '""')}"."fold_snapshots"`;
  }

  /** Creates the table if it is missing (idempotent; the service's migration creates it too). */
  async ensureTable(): Promise<void> {
    await this.db.query(
      `CREATE TABLE IF NOT EXISTS ${this.#table} (
         fold text PRIMARY KEY,
         format_version integer NOT NULL,
         stream text NOT NULL,
         sequence bigint NOT NULL,
         checksum text NOT NULL,
         state text NOT NULL,
         written_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  }

  /**
   * The stored snapshot if it can be trusted, else why not. `lastSequence` is the stream's last
   * sequence now: a snapshot beyond it belongs to a history that is gone.
   */
  async load<S>(lastSequence: number): Promise<FoldSnapshot<S> | { refused: SnapshotRefusal } | undefined> {
    const rows: {
      format_version: number;
      stream: string;
      sequence: string;
      checksum: string;
      state: string;
    }[] = await this.db.query(
      `SELECT format_version, stream, sequence, checksum, state FROM ${this.#table} WHERE fold = $1`,
      [this.options.fold],
    );
    const row = rows[0];
    if (!row) return undefined;
    const sequence = Number(row.sequence);
    if (row.format_version !== this.options.formatVersion) return { refused: 'format' };
    if (row.stream !== this.options.stream) return { refused: 'stream' };
    if (row.checksum !== this.#checksum(sequence, row.state)) return { refused: 'checksum' };
    if (sequence > lastSequence) return { refused: 'ahead' };
    try {
      return { sequence, state: JSON.parse(row.state) as S };
    } catch {
      return { refused: 'unreadable' };
    }
  }

  /** Replaces the fold's snapshot with this state, which covers the stream up to `sequence`. */
  async save(sequence: number, state: unknown): Promise<void> {
    const text = JSON.stringify(state);
    await this.db.query(
      `INSERT INTO ${this.#table} (fold, format_version, stream, sequence, checksum, state, written_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (fold) DO UPDATE SET format_version = $2, stream = $3, sequence = $4, checksum = $5,
         state = $6, written_at = now()`,
      [
        this.options.fold,
        this.options.formatVersion,
        this.options.stream,
        sequence,
        this.#checksum(sequence, text),
        text,
      ],
    );
  }

  /** Forgets the fold's snapshot (the next start replays from the first event). */
  async clear(): Promise<void> {
    await this.db.query(`DELETE FROM ${this.#table} WHERE fold = $1`, [this.options.fold]);
  }

  #checksum(sequence: number, state: string): string {
    const { fold, formatVersion, stream } = this.options;
    return createHash('sha256')
      .update(`${fold}\n${formatVersion}\n${stream}\n${sequence}\n`)
      .update(state)
      .digest('hex');
  }
}
