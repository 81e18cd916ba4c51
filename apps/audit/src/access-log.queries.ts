import type { DataSource } from 'typeorm';
import type { AccessDecider, AccessDecision, AccessRecordView } from '@rustronaut/contracts';

export interface AccessLogFilter {
  orgId: string;
  resource?: string;
  /** A user id, or an email (matched exactly, case-insensitively). */
  user?: string;
  decision?: AccessDecision;
  status?: number;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

interface Row {
  seq: string;
  gateway_id: string;
  id: string;
  org_id: string;
  at: Date;
  site_id: string | null;
  resource_id: string | null;
  user_id: string | null;
  email: string | null;
  ip: string;
  method: string;
  host: string;
  path: string;
  status: number;
  decision: AccessDecision;
  decided_by: AccessDecider;
  rule_id: string | null;
  rule_name: string | null;
  reason: string | null;
  admission_ms: number;
  total_ms: number;
  bytes_in: string;
  bytes_out: string;
  trace_id: string | null;
}

/** Cursor: the position of a page's last record (time, storage sequence), opaque to clients. */
const encodeCursor = (row: Row) => Buffer.from(`${row.at.toISOString()}|${row.seq}`).toString('base64url');

function decodeCursor(cursor: string): { at: string; seq: string } | undefined {
  const [at, seq] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  return at && seq && !Number.isNaN(Date.parse(at)) && /^\d{1,19}$/.test(seq) ? { at, seq } : undefined;
}

export class AccessLogQueries {
  constructor(
    private readonly db: DataSource,
    private readonly schema: string,
  ) {}

  /** Newest first, only the org's records; filters combine with AND. An unreadable cursor starts over. */
  async list(filter: AccessLogFilter): Promise<{ items: AccessRecordView[]; nextCursor: string | null }> {
    const after = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    const rows: Row[] = await this.db.query(
      `SELECT * FROM "${this.schema}"."access_log"
       WHERE org_id = $1
         AND ($2::text IS NULL OR resource_id = $2)
         AND ($3::text IS NULL OR user_id = $3 OR lower(email) = lower($3))
         AND ($4::text IS NULL OR decision = $4)
         AND ($5::int IS NULL OR status = $5)
         AND ($6::timestamptz IS NULL OR at >= $6)
         AND ($7::timestamptz IS NULL OR at < $7)
         AND ($8::timestamptz IS NULL OR (at, seq) < ($8, $9::bigint))
       ORDER BY at DESC, seq DESC
       LIMIT $10`,
      [
        filter.orgId,
        filter.resource ?? null,
        filter.user ?? null,
        filter.decision ?? null,
        filter.status ?? null,
        filter.since ?? null,
        filter.until ?? null,
        after?.at ?? null,
        after?.seq ?? null,
        filter.limit + 1,
      ],
    );
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map(viewOf),
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last) : null,
    };
  }
}

const viewOf = (r: Row): AccessRecordView => ({
  id: r.id,
  orgId: r.org_id,
  gatewayId: r.gateway_id,
  at: r.at.toISOString(),
  siteId: r.site_id,
  resourceId: r.resource_id,
  userId: r.user_id,
  email: r.email,
  ip: r.ip,
  method: r.method,
  host: r.host,
  path: r.path,
  status: r.status,
  decision: r.decision,
  decidedBy: r.decided_by,
  ruleId: r.rule_id,
  ruleName: r.rule_name,
  reason: r.reason,
  admissionMs: r.admission_ms,
  totalMs: r.total_ms,
  bytesIn: Number(r.bytes_in),
  bytesOut: Number(r.bytes_out),
  traceId: r.trace_id,
});
