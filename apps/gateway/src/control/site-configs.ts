import { verifySnapshot, type SignedSnapshot, type SiteSnapshot } from '@rustronaut/contracts/edge';
import type { Logger } from '@rustronaut/observability';
import type { AppliedSnapshot } from '../data-path/model';
import type { SnapshotFiles } from './snapshot-file';

/** Declared with the data path's types; named here too, where the gateway keeps its snapshots. */
export type { AppliedSnapshot } from '../data-path/model';

export type OfferResult = 'applied' | 'stale' | 'refused';

/**
 * The snapshots the gateway serves, one per site. A new one is accepted only if its signature is
 * the console's, it is for this site, and its revision is newer; it then replaces the old one in a
 * single assignment (a request in flight keeps the object it started with) and is written to disk.
 */
export class SiteConfigs {
  readonly #current = new Map<string, AppliedSnapshot>();
  readonly #listeners: ((siteId: string, applied: AppliedSnapshot) => void)[] = [];
  readonly #refusalListeners: ((siteId: string, reason: string) => void)[] = [];
  readonly #changeListeners: (() => void)[] = [];

  constructor(
    private readonly keys: Record<string, string>,
    private readonly files: SnapshotFiles,
    private readonly logger: Logger,
  ) {}

  get(siteId: string): AppliedSnapshot | undefined {
    return this.#current.get(siteId);
  }

  all(): Map<string, AppliedSnapshot> {
    return new Map(this.#current);
  }

  onApplied(listener: (siteId: string, applied: AppliedSnapshot) => void): void {
    this.#listeners.push(listener);
  }

  onRefused(listener: (siteId: string, reason: string) => void): void {
    this.#refusalListeners.push(listener);
  }

  #refuse(siteId: string, reason: string): void {
    for (const listener of this.#refusalListeners) listener(siteId, reason);
  }

  /** On start: the disk copy, if it is intact. */
  async loadFromDisk(siteId: string): Promise<boolean> {
    const raw = await this.files.read(siteId);
    if (raw === undefined) return false;
    const verified = verifySnapshot(raw, this.keys, siteId);
    if (!verified.ok) {
      this.logger.error(
        { siteId, reason: verified.reason, path: this.files.pathOf(siteId) },
        'refused the snapshot on disk',
      );
      this.#refuse(siteId, `disk-${verified.reason}`);
      return false;
    }
    this.#set(siteId, verified.snapshot);
    this.logger.info({ siteId, revision: verified.snapshot.revision }, 'serving the snapshot from disk');
    return true;
  }

  async offer(siteId: string, raw: unknown): Promise<OfferResult> {
    const verified = verifySnapshot(raw, this.keys, siteId);
    if (!verified.ok) {
      this.logger.error({ siteId, reason: verified.reason }, 'refused a snapshot from NATS');
      this.#refuse(siteId, verified.reason);
      return 'refused';
    }
    const current = this.#current.get(siteId);
    if (current && verified.snapshot.revision <= current.snapshot.revision) {
      if (verified.snapshot.revision < current.snapshot.revision) {
        this.logger.warn(
          { siteId, offered: verified.snapshot.revision, current: current.snapshot.revision },
          'refused an older snapshot revision',
        );
        this.#refuse(siteId, 'older-revision');
        return 'refused';
      }
      return 'stale';
    }
    await this.files.write(siteId, raw as SignedSnapshot);
    this.#set(siteId, verified.snapshot);
    this.logger.info({ siteId, revision: verified.snapshot.revision }, 'applied a new snapshot');
    return 'applied';
  }

  /** The console withdrew the site (deleted), or this gateway no longer serves it: stop serving it. */
  withdraw(siteId: string): void {
    if (this.#current.delete(siteId)) {
      this.logger.warn({ siteId }, 'site config withdrawn');
      for (const listener of this.#changeListeners) listener();
    }
  }

  /** Called after any change of what is served (applied or withdrawn). */
  onChanged(listener: () => void): void {
    this.#changeListeners.push(listener);
  }

  #set(siteId: string, snapshot: SiteSnapshot): void {
    const applied = { snapshot, appliedAt: new Date() };
    this.#current.set(siteId, applied);
    for (const listener of this.#listeners) listener(siteId, applied);
    for (const listener of this.#changeListeners) listener();
  }
}

export interface ServedSite {
  site_id: string;
  revision: number;
  applied_at: string;
  resources: string[];
}

/** The snapshots served, for /status: each site's revision and resources, and the newest revision. */
export function servedSites(configs: Pick<SiteConfigs, 'all'>): {
  sites: ServedSite[];
  snapshot_revision: number;
  applied_at: string | null;
} {
  const sites = [...configs.all()].map(([siteId, { snapshot, appliedAt }]) => ({
    site_id: siteId,
    revision: snapshot.revision,
    applied_at: appliedAt.toISOString(),
    resources: snapshot.resources.map((r) => r.id),
  }));
  const newest = sites.reduce<ServedSite | undefined>(
    (a, b) => (!a || b.revision > a.revision ? b : a),
    undefined,
  );
  return { sites, snapshot_revision: newest?.revision ?? 0, applied_at: newest?.applied_at ?? null };
}

/** The org of the sites served, when they all belong to one. */
export function soleOrg(configs: Pick<SiteConfigs, 'all'>): string | undefined {
  const orgs = new Set([...configs.all().values()].map((a) => a.snapshot.orgId));
  return orgs.size === 1 ? [...orgs][0] : undefined;
}
