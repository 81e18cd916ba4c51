import type { DataSource } from 'typeorm';
import type {
  GatewayReport,
  GatewayRuntime,
  GatewaySettings,
  GatewayView,
  Page,
} from '@rustronaut/contracts';

interface Row {
  id: string;
  org_id: string;
  settings: GatewaySettings;
  status: GatewayView['status'];
  public_key: string | null;
  enrolled_at: Date | null;
  enrollment_token_hash: string;
  enrollment_expires_at: Date;
  config_revision: string | null;
  config_applied_at: Date | null;
  last_heartbeat_at: Date | null;
  runtime: GatewayRuntime | null;
  runtime_reported_at: Date | null;
  created_at: Date;
  version: string;
  deleted: boolean;
}

const toView = (r: Row): GatewayView => ({
  ...r.settings,
  id: r.id,
  orgId: r.org_id,
  status: r.status,
  enrolledAt: r.enrolled_at?.toISOString() ?? null,
  configRevision: r.config_revision === null ? null : Number(r.config_revision),
  configAppliedAt: r.config_applied_at?.toISOString() ?? null,
  lastHeartbeatAt: r.last_heartbeat_at?.toISOString() ?? null,
  runtime:
    r.runtime && r.runtime_reported_at
      ? { ...r.runtime, reportedAt: r.runtime_reported_at.toISOString() }
      : null,
  createdAt: r.created_at.toISOString(),
  version: Number(r.version),
});

export class GatewayQueries {
  readonly #table: string;

  constructor(
    private readonly db: DataSource,
    schema: string,
  ) {
    this.#table = `"${schema}"."gateways"`;
  }

  async gateway(scope: { orgId: string }, id: string): Promise<GatewayView | undefined> {
    const rows: Row[] = await this.db.query(
      `SELECT * FROM ${this.#table} WHERE org_id = $1 AND id = $2 AND NOT deleted`,
      [scope.orgId, id],
    );
    return rows[0] && toView(rows[0]);
  }

  async gateways(
    scope: { orgId: string },
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<GatewayView>> {
    const rows: Row[] = await this.db.query(
      `SELECT * FROM ${this.#table} WHERE org_id = $1 AND NOT deleted AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [scope.orgId, cursor ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(toView);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  /** Gateways of an organisation that serve a site. */
  async servingSite(scope: { orgId: string }, siteId: string): Promise<GatewayView[]> {
    const rows: Row[] = await this.db.query(
      `SELECT * FROM ${this.#table} WHERE org_id = $1 AND NOT deleted AND settings->'siteIds' ? $2 ORDER BY id`,
      [scope.orgId, siteId],
    );
    return rows.map(toView);
  }

  /** For reports, health and assignments: any gateway, by id, with its keys and sites. */
  async publicKeyOf(id: string): Promise<
    | {
        orgId: string;
        publicKey: string | null;
        natsPublicKey: string | null;
        siteIds: string[];
        wireguardPort: number;
        deleted: boolean;
      }
    | undefined
  > {
    const rows: (Row & { nats_public_key: string | null })[] = await this.db.query(
      `SELECT org_id, public_key, nats_public_key, settings, deleted FROM ${this.#table} WHERE id = $1`,
      [id],
    );
    const r = rows[0];
    return (
      r && {
        orgId: r.org_id,
        publicKey: r.public_key,
        natsPublicKey: r.nats_public_key,
        siteIds: r.settings.siteIds,
        wireguardPort: r.settings.wireguardPort,
        deleted: r.deleted,
      }
    );
  }

  /**
   * Keeps a report: the heartbeat, the revisions applied, the WireGuard interface and the runtime.
   * Answers the gateway's org and the runtime it had reported before (to tell what changed).
   */
  async recordReport(
    id: string,
    report: Pick<GatewayReport, 'at' | 'kind' | 'sites' | 'wireguard' | 'runtime'>,
  ): Promise<{ orgId: string; previous: GatewayRuntime | null } | undefined> {
    const newest = Math.max(0, ...Object.values(report.sites));
    type Kept = { org_id: string; previous: GatewayRuntime | null };
    // TypeORM answers an UPDATE … RETURNING as [rows, affected count].
    const [rows]: [Kept[], number] = await this.db.query(
      `WITH before AS (SELECT runtime FROM ${this.#table} WHERE id = $1)
       UPDATE ${this.#table} SET last_heartbeat_at = GREATEST(last_heartbeat_at, $2::timestamptz), site_revisions = $3,
         wireguard = COALESCE($5::jsonb, wireguard),
         runtime = COALESCE($6::jsonb, runtime),
         runtime_reported_at = CASE WHEN $6::jsonb IS NULL THEN runtime_reported_at ELSE GREATEST(runtime_reported_at, $2::timestamptz) END,
         config_revision = CASE WHEN $4::bigint > COALESCE(config_revision, 0) THEN $4 ELSE config_revision END,
         config_applied_at = CASE WHEN $4::bigint > COALESCE(config_revision, 0) THEN $2::timestamptz ELSE config_applied_at END
       WHERE id = $1
       RETURNING org_id, (SELECT runtime FROM before) AS previous`,
      [
        id,
        report.at,
        report.sites,
        newest,
        report.wireguard ? JSON.stringify(report.wireguard) : null,
        report.runtime ? JSON.stringify(report.runtime) : null,
      ],
    );
    const row = rows[0];
    return row && { orgId: row.org_id, previous: row.previous };
  }

  /** The site's gateways with the WireGuard interface they last reported. */
  async siteWireGuard(
    scope: { orgId: string },
    siteId: string,
  ): Promise<{ gateway: GatewayView; wireguard: NonNullable<GatewayReport['wireguard']> }[]> {
    const rows: (Row & { wireguard: GatewayReport['wireguard'] | null })[] = await this.db.query(
      `SELECT * FROM ${this.#table} WHERE org_id = $1 AND NOT deleted AND settings->'siteIds' ? $2 AND wireguard IS NOT NULL ORDER BY id`,
      [scope.orgId, siteId],
    );
    return rows.flatMap((r) => (r.wireguard ? [{ gateway: toView(r), wireguard: r.wireguard }] : []));
  }

  /** The NATS users of deleted gateways: the account's revocation list. */
  async revokedNatsUsers(): Promise<Record<string, number>> {
    const rows: { nats_public_key: string; updated_at: Date }[] = await this.db.query(
      `SELECT nats_public_key, updated_at FROM ${this.#table} WHERE deleted AND nats_public_key IS NOT NULL`,
    );
    return Object.fromEntries(rows.map((r) => [r.nats_public_key, Math.ceil(r.updated_at.getTime() / 1000)]));
  }

  /** Enrolled gateways and when they last reported (for the health monitor). */
  async liveness(): Promise<
    {
      id: string;
      orgId: string;
      status: GatewayView['status'];
      lastHeartbeatAt: Date | null;
      enrolledAt: Date | null;
    }[]
  > {
    const rows: Row[] = await this.db.query(
      `SELECT * FROM ${this.#table} WHERE NOT deleted AND enrolled_at IS NOT NULL`,
    );
    return rows.map((r) => ({
      id: r.id,
      orgId: r.org_id,
      status: r.status,
      lastHeartbeatAt: r.last_heartbeat_at,
      enrolledAt: r.enrolled_at,
    }));
  }
}
