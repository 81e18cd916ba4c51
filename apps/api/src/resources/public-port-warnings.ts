import type { Principal, ResourceView } from '@rustronaut/contracts';
import { closedPublicPort } from '@rustronaut/policy-engine';
import type { PolicyClient } from '../routes/tokens';

/** Something the API wants the caller to know about what they just saved, beside the resource. */
export interface ResourceWarning {
  code: 'PUBLIC_PORT_CLOSED' | 'PUBLIC_PORT_UNCHECKED';
  message: string;
}

/**
 * The warnings of a resource as saved: a TCP/UDP resource whose public port requires sign-in and
 * that no policy opens at layer 4 admits no connection at all (gateways fail closed), which is
 * legal — users may reach it through `rustronaut forward` or the VPN — but rarely what was meant.
 * Only such resources cost a look at the organisation's policies.
 */
export async function publicPortWarnings(
  policy: PolicyClient,
  principal: Principal,
  resource: ResourceView,
): Promise<ResourceWarning[]> {
  if (resource.protocol === 'http' || resource.publicPort === null || !resource.authRequired) return [];
  try {
    const policies = [];
    let cursor: string | undefined;
    do {
      const page = await policy.request('policy.policies.list', { principal, cursor, limit: 500 });
      policies.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const closed = closedPublicPort(resource, policies);
    return closed ? [{ code: 'PUBLIC_PORT_CLOSED', message: closed }] : [];
  } catch {
    return [
      {
        code: 'PUBLIC_PORT_UNCHECKED',
        message: `could not read the policies to tell whether public port ${resource.publicPort} admits anyone; it admits only sources an allow policy opens it to`,
      },
    ];
  }
}
