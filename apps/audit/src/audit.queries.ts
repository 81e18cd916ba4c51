import type { DataSource } from 'typeorm';
import type { AuditEntryView } from '@rustronaut/contracts';

export interface AuditFilter {
  orgId: string;
  actor?: string;
  type?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

interface Row {
  id: string;
  sequence: string;
  org_id: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  actor_kind: string;
  actor_id: string;
  occurred_at: Date;
  trace_id: string | null;
  data: Record<string, unknown>;
}

/** Cursor: the position of the last entry of a page (time, id), opaque to clients. */
export function encodeCursor(row: { occurred_at: Date; id: string }): string {
  return Buffer.from(`${row.occurred_at.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { at: string; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  return at && id && !Number.isNaN(Date.parse(at)) && /^[0-9a-f-]{36}$/.test(id) ? { at, id } : undefined;
}

export class AuditQueries {
  constructor(
    private readonly db: DataSource,
    private readonly schema: string,
  ) {}

  /** Newest first; filters combine with AND. */
  async list(filter: AuditFilter): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    const after = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    const rows: Row[] = await this.db.query(
      `SELECT * FROM "${this.schema}"."audit_entries"
       WHERE org_id = $1
         AND ($2::text IS NULL OR actor_id = $2)
         AND ($3::text IS NULL OR type = $3)
         AND ($4::timestamptz IS NULL OR occurred_at >= $4)
         AND ($5::timestamptz IS NULL OR occurred_at < $5)
         AND ($6::timestamptz IS NULL OR (occurred_at, id) < ($6, $7::uuid))
       ORDER BY occurred_at DESC, id DESC
       LIMIT $8`,
      [
        filter.orgId,
        filter.actor ?? null,
        filter.type ?? null,
        filter.since ?? null,
        filter.until ?? null,
        after?.at ?? null,
        after?.id ?? null,
        filter.limit + 1,
      ],
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => ({
        id: r.id,
        sequence: Number(r.sequence),
        orgId: r.org_id,
        type: r.type,
        aggregateType: r.aggregate_type,
        aggregateId: r.aggregate_id,
        actor: { kind: r.actor_kind, id: r.actor_id },
        occurredAt: r.occurred_at.toISOString(),
        traceId: r.trace_id,
        data: r.data,
      })),
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last) : null,
    };
  }
}
