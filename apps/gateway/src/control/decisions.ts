import type { Role } from '@rustronaut/contracts';
import { decide, type Decision } from '@rustronaut/policy-engine';
import type { SiteConfigs } from './site-configs';

export interface DecisionQuery {
  resourceId: string;
  userId: string | null;
  role: Role | null;
  ip: string;
  country: string | null;
  path: string;
  method: string;
  at: Date;
}

/**
 * What this gateway decides for a request to one of its resources, from its snapshot alone (the
 * user's groups come from the snapshot's group table, as they will on the data path).
 */
export function decideLocally(configs: SiteConfigs, query: DecisionQuery): Decision | undefined {
  for (const { snapshot } of configs.all().values()) {
    if (!snapshot.resources.some((r) => r.id === query.resourceId)) continue;
    const groups =
      query.userId === null
        ? []
        : Object.entries(snapshot.groups)
            .filter(([, members]) => members.includes(query.userId!))
            .map(([id]) => id);
    return decide(snapshot.policies, query.resourceId, {
      user: query.userId === null ? null : { id: query.userId, role: query.role ?? 'member', groups },
      ip: query.ip,
      country: query.country,
      path: query.path,
      method: query.method,
      at: query.at,
    });
  }
  return undefined;
}
