import type { DataSource } from 'typeorm';
import type { DeviceView } from '@rustronaut/contracts';
import type { OrgScope } from '../read-model/policy.queries';

interface DeviceRow {
  id: string;
  org_id: string;
  site_id: string;
  user_id: string;
  name: string;
  public_key: string;
  address: string;
  created_at: Date;
  revoked_at: Date | null;
}

const toDevice = (r: DeviceRow): DeviceView => ({
  id: r.id,
  orgId: r.org_id,
  siteId: r.site_id,
  userId: r.user_id,
  name: r.name,
  publicKey: r.public_key,
  address: r.address,
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

/** The devices read model: every read names its organisation; revoked devices are not listed. */
export class DeviceQueries {
  constructor(
    private readonly db: DataSource,
    private readonly schema: string,
  ) {}

  #t = () => `"${this.schema}"."devices"`;

  async device(scope: OrgScope, id: string): Promise<DeviceView | undefined> {
    const rows: DeviceRow[] = await this.db.query(
      `SELECT * FROM ${this.#t()} WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL`,
      [scope.orgId, id],
    );
    return rows[0] && toDevice(rows[0]);
  }

  async devices(scope: OrgScope, userId: string | undefined): Promise<DeviceView[]> {
    const rows: DeviceRow[] = await this.db.query(
      `SELECT * FROM ${this.#t()} WHERE org_id = $1 AND ($2::text IS NULL OR user_id = $2) AND revoked_at IS NULL
       ORDER BY created_at, id LIMIT 10000`,
      [scope.orgId, userId ?? null],
    );
    return rows.map(toDevice);
  }
}
