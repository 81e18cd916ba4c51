import { RegistryRequests, type RegistryResponses } from '@rustronaut/contracts';
import { messageHandlers, type MessageHandlers } from '@rustronaut/messaging';
import { GatewayUseCases } from './gateways.use-cases';
import { GatewayQueries } from './gateway.queries';
import { siteWireGuardView } from './site-wireguard';

/** The gateway registry's NATS request/reply: each message type, parsed, to its use case. */
export const RegistryController = messageHandlers(
  'RegistryController',
  RegistryRequests,
  [GatewayUseCases, GatewayQueries],
  (
    gateways: GatewayUseCases,
    queries: GatewayQueries,
  ): MessageHandlers<typeof RegistryRequests, RegistryResponses> => ({
    'registry.gateways.create': ({ principal, ...gateway }) => gateways.create(principal, gateway),
    'registry.gateways.list': ({ principal, cursor, limit }) => gateways.list(principal, cursor, limit),
    'registry.gateways.get': ({ principal, id }) => gateways.get(principal, id),
    'registry.gateways.update': ({ principal, ...changes }) => gateways.update(principal, changes),
    'registry.gateways.delete': ({ principal, id }) => gateways.delete(principal, id),
    'registry.gateways.enroll': (enrolment) => gateways.enroll(enrolment),
    'registry.dns': ({ principal, resourceId }) => gateways.dns(principal, resourceId),
    'registry.wireguard.site': async ({ principal, siteId }) =>
      siteWireGuardView(siteId, await queries.siteWireGuard({ orgId: principal.orgId }, siteId)),
  }),
);
