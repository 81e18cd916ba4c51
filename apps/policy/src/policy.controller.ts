import { PolicyRequests, type PolicyResponses } from '@rustronaut/contracts';
import { messageHandlers, type MessageHandlers } from '@rustronaut/messaging';
import { PolicyUseCases } from './use-cases/policies.use-cases';
import { ResourceAccessUseCases } from './use-cases/resource-access.use-cases';
import { ResourceUseCases } from './use-cases/resources.use-cases';
import { SiteUseCases } from './use-cases/sites.use-cases';
import { ServiceUseCases } from './use-cases/services.use-cases';

/** The policy service's NATS request/reply: each message type, parsed, to its use case. */
export const PolicyController = messageHandlers(
  'PolicyController',
  PolicyRequests,
  [SiteUseCases, ResourceUseCases, ResourceAccessUseCases, PolicyUseCases, ServiceUseCases],
  (
    sites: SiteUseCases,
    resources: ResourceUseCases,
    access: ResourceAccessUseCases,
    policies: PolicyUseCases,
    services: ServiceUseCases,
  ): MessageHandlers<typeof PolicyRequests, PolicyResponses> => ({
    'policy.sites.create': ({ principal, ...site }) => sites.create(principal, site),
    'policy.sites.list': ({ principal, cursor, limit }) => sites.list(principal, cursor, limit),
    'policy.sites.get': ({ principal, id }) => sites.get(principal, id),
    'policy.sites.update': ({ principal, ...change }) => sites.update(principal, change),
    'policy.sites.delete': ({ principal, ...which }) => sites.delete(principal, which),
    'policy.sites.connector': ({ principal, id }) => sites.issueConnectorToken(principal, id),

    'policy.resources.create': ({ principal, ...resource }) => resources.create(principal, resource),
    'policy.resources.list': ({ principal, siteId, cursor, limit }) =>
      resources.list(principal, siteId, cursor, limit),
    'policy.resources.get': ({ principal, id }) => resources.get(principal, id),
    'policy.resources.byHost': ({ principal, host, path }) => resources.byHost(principal, host, path),
    'policy.resources.orgOfHost': ({ host }) => resources.orgOfHost(host),
    'policy.resources.update': ({ principal, ...change }) => resources.update(principal, change),
    'policy.resources.delete': ({ principal, ...which }) => resources.delete(principal, which),
    'policy.targets.add': ({ principal, resourceId, target }) =>
      resources.addTarget(principal, resourceId, target),
    'policy.targets.list': ({ principal, resourceId }) => resources.targets(principal, resourceId),
    'policy.targets.update': ({ principal, ...change }) => resources.updateTarget(principal, change),
    'policy.targets.remove': ({ principal, resourceId, targetId }) =>
      resources.removeTarget(principal, resourceId, targetId),

    'policy.resources.setAccessSecret': ({ principal, ...secret }) =>
      access.setAccessSecret(principal, secret),
    'policy.shareLinks.create': ({ principal, ...link }) => access.createShareLink(principal, link),
    'policy.shareLinks.list': ({ principal, resourceId }) => access.list(principal, resourceId),
    'policy.shareLinks.revoke': ({ principal, ...which }) => access.revoke(principal, which),
    'policy.tokenIssuers.add': ({ principal, resourceId, issuer }) =>
      access.addTokenIssuer(principal, resourceId, issuer),
    'policy.tokenIssuers.list': ({ principal, resourceId }) => access.tokenIssuers(principal, resourceId),
    'policy.tokenIssuers.remove': ({ principal, resourceId, issuerId }) =>
      access.removeTokenIssuer(principal, resourceId, issuerId),

    'policy.services.expose': ({ principal, ...service }) => services.expose(principal, service),
    'policy.services.list': ({ principal, cursor, limit }) => services.list(principal, cursor, limit),
    'policy.services.get': ({ principal, id }) => services.get(principal, id),
    'policy.services.unexpose': ({ principal, id }) => services.unexpose(principal, id),

    'policy.policies.create': ({ principal, ...policy }) => policies.create(principal, policy),
    'policy.policies.list': ({ principal, cursor, limit }) => policies.list(principal, cursor, limit),
    'policy.policies.get': ({ principal, id }) => policies.get(principal, id),
    'policy.policies.update': ({ principal, ...change }) => policies.update(principal, change),
    'policy.policies.delete': ({ principal, ...which }) => policies.delete(principal, which),
    'policy.simulate': ({ principal, ...question }) => policies.simulate(principal, question),
  }),
);
