import type { AppliedSnapshot } from '../control/site-configs';

/** Where the data path reads what to serve: the applied site snapshots (SiteConfigs in the gateway). */
export interface SnapshotSource {
  all(): Map<string, AppliedSnapshot>;
  get(siteId: string): AppliedSnapshot | undefined;
  onChanged(listener: () => void): void;
}
