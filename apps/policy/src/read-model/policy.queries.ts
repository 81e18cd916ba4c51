import type { DataSource } from 'typeorm';
import type {
  Page,
  PolicyData,
  PolicyView,
  ResourceData,
  ResourceView,
  SiteView,
  TargetData,
  TargetView,
} from '@rustronaut/contracts';
import { domainPatternsFor, resourceFor } from '@rustronaut/policy-engine';

/** Every read names its organisation. */
export interface OrgScope {
  orgId: string;
}

interface SiteRow {
  id: string;
  org_id: string;
  name: string;
  subnet: string;
  region: string;
  connection_type: SiteView['connectionType'];
  created_at: Date;
  updated_at: Date;
  version: string;
}
interface ResourceRow {
  id: string;
  org_id: string;
  data: ResourceData;
  created_at: Date;
  updated_at: Date;
  version: string;
}
interface PolicyRow {
  id: string;
  org_id: string;
  data: PolicyData;
  created_at: Date;
  updated_at: Date;
  version: string;
}

const toSite = (r: SiteRow): SiteView => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  subnet: r.subnet,
  region: r.region,
  connectionType: r.connection_type,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  version: Number(r.version),
});

function page<T extends { id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
}

export class PolicyQueries {
  readonly #t: (table: string) => string;

  constructor(
    private readonly db: DataSource,
    schema: string,
  ) {
    this.#t = (table) => `"${schema}"."${table}"`;
  }

  async site(scope: OrgScope, id: string): Promise<SiteView | undefined> {
    const rows: SiteRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('sites')} WHERE org_id = $1 AND id = $2 AND NOT deleted`,
      [scope.orgId, id],
    );
    return rows[0] && toSite(rows[0]);
  }

  async sites(scope: OrgScope, cursor: string | undefined, limit: number): Promise<Page<SiteView>> {
    const rows: SiteRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('sites')} WHERE org_id = $1 AND NOT deleted AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [scope.orgId, cursor ?? null, limit + 1],
    );
    const p = page(rows, limit);
    return { items: p.items.map(toSite), nextCursor: p.nextCursor };
  }

  async resourceCount(scope: OrgScope, siteId: string): Promise<number> {
    const rows: { n: string }[] = await this.db.query(
      `SELECT count(*) AS n FROM ${this.#t('resources')} WHERE org_id = $1 AND site_id = $2 AND NOT deleted`,
      [scope.orgId, siteId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async resource(scope: OrgScope, id: string): Promise<ResourceView | undefined> {
    const rows: ResourceRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('resources')} WHERE org_id = $1 AND id = $2 AND NOT deleted`,
      [scope.orgId, id],
    );
    const r = rows[0];
    return r && this.#withTargets(scope, [r]).then((v) => v[0]);
  }

  /** The resource serving a host and path, as the gateway routes it (`resourceFor`). */
  /** For sign-in pages only (no caller yet): the organisation of an HTTP resource serving this host. */
  async orgOfHost(host: string): Promise<string | undefined> {
    const rows: { org_id: string }[] = await this.db.query(
      `SELECT org_id FROM ${this.#t('resources')} WHERE NOT deleted AND data->>'protocol' = 'http' AND data->'domains' ?| $1::text[] LIMIT 1`,
      [domainPatternsFor(host)],
    );
    return rows[0]?.org_id;
  }

  async resourceByHost(scope: OrgScope, host: string, path = '/'): Promise<ResourceView | undefined> {
    const rows: ResourceRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('resources')} WHERE org_id = $1 AND NOT deleted AND data->>'protocol' = 'http' AND data->'domains' ?| $2::text[]`,
      [scope.orgId, domainPatternsFor(host)],
    );
    const best = resourceFor(
      rows.map((r) => ({ row: r, domains: r.data.domains, pathPrefix: r.data.pathPrefix })),
      host,
      path,
    );
    return best && this.#withTargets(scope, [best.row]).then((v) => v[0]);
  }

  async resources(
    scope: OrgScope & { siteId?: string; exposedServices?: boolean },
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<ResourceView>> {
    const rows: ResourceRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('resources')} WHERE org_id = $1 AND NOT deleted AND ($2::text IS NULL OR site_id = $2)
       AND ($3::text IS NULL OR id > $3)
       AND ($5::boolean IS NULL OR (COALESCE(data->'tunnel', 'null'::jsonb) <> 'null'::jsonb) = $5)
       ORDER BY id LIMIT $4`,
      [scope.orgId, scope.siteId ?? null, cursor ?? null, limit + 1, scope.exposedServices ?? null],
    );
    const p = page(rows, limit);
    return { items: await this.#withTargets(scope, p.items), nextCursor: p.nextCursor };
  }

  async #withTargets(scope: OrgScope, rows: ResourceRow[]): Promise<ResourceView[]> {
    if (rows.length === 0) return [];
    const targets: { id: string; resource_id: string; data: TargetData }[] = await this.db.query(
      `SELECT id, resource_id, data FROM ${this.#t('targets')} WHERE org_id = $1 AND resource_id = ANY($2) ORDER BY position, id`,
      [scope.orgId, rows.map((r) => r.id)],
    );
    return rows.map((r) => ({
      ...r.data,
      id: r.id,
      orgId: r.org_id,
      targets: targets
        .filter((t) => t.resource_id === r.id)
        .map((t): TargetView => ({ ...t.data, id: t.id, resourceId: r.id })),
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
      version: Number(r.version),
    }));
  }

  async policy(scope: OrgScope, id: string): Promise<PolicyView | undefined> {
    const rows: PolicyRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('policies')} WHERE org_id = $1 AND id = $2 AND NOT deleted`,
      [scope.orgId, id],
    );
    return rows[0] && toPolicy(rows[0]);
  }

  async policies(scope: OrgScope, cursor: string | undefined, limit: number): Promise<Page<PolicyView>> {
    const rows: PolicyRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('policies')} WHERE org_id = $1 AND NOT deleted AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [scope.orgId, cursor ?? null, limit + 1],
    );
    const p = page(rows, limit);
    return { items: p.items.map(toPolicy), nextCursor: p.nextCursor };
  }

  /** Every policy of the organisation (the simulator evaluates them all, as the gateway does). */
  async allPolicies(scope: OrgScope): Promise<PolicyView[]> {
    const rows: PolicyRow[] = await this.db.query(
      `SELECT * FROM ${this.#t('policies')} WHERE org_id = $1 AND NOT deleted ORDER BY id`,
      [scope.orgId],
    );
    return rows.map(toPolicy);
  }
}

const toPolicy = (r: PolicyRow): PolicyView => ({
  ...r.data,
  id: r.id,
  orgId: r.org_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  version: Number(r.version),
});
