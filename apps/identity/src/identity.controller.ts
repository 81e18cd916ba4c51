import { IdentityRequests, type IdentityResponses } from '@rustronaut/contracts';
import { messageHandlers, type MessageHandlers } from '@rustronaut/messaging';
import { IdentityUseCases } from './use-cases/identity-use-cases';

/**
 * The identity service's NATS request/reply: each message type, parsed, to its use case. Replies
 * are shaped by messageHandlers (answerMessage).
 */
export const IdentityController = messageHandlers(
  'IdentityController',
  IdentityRequests,
  [IdentityUseCases],
  ({
    auth,
    organizations,
    users,
    totp,
    groups,
    apiKeys,
    identityProviders,
    externalSignIn,
    passkeys,
    setup,
  }: IdentityUseCases): MessageHandlers<typeof IdentityRequests, IdentityResponses> => ({
    'identity.login': (request) => auth.login(request),
    'identity.refresh': (request) => auth.refresh(request),
    'identity.logout': ({ principal }) => auth.logout(principal),
    'identity.handoff.issue': (request) => auth.issueHandoff(request),
    'identity.jwks': () => auth.jwks(),
    'identity.keys.rotate': ({ principal }) => auth.rotateKeys(principal),
    'identity.apikey.exchange': ({ principal }) => auth.exchangeApiKey(principal),
    'identity.apikey.verify': (request) => auth.verifyApiKey(request),

    'identity.setup.status': () => setup.status(),
    'identity.setup.complete': (request) => setup.complete(request),

    'identity.orgs.create': ({ principal, ...org }) => organizations.create(principal, org),
    'identity.orgs.list': ({ principal }) => organizations.list(principal),
    'identity.orgs.get': ({ principal, id }) => organizations.get(principal, id),
    'identity.orgs.update': ({ principal, ...change }) => organizations.update(principal, change),
    'identity.orgs.delete': ({ principal, ...which }) => organizations.delete(principal, which),

    'identity.users.create': ({ principal, ...user }) => users.create(principal, user),
    'identity.users.list': ({ principal, cursor, limit }) => users.list(principal, cursor, limit),
    'identity.users.get': ({ principal, id }) => users.get(principal, id),
    'identity.users.update': ({ principal, ...change }) => users.update(principal, change),
    'identity.users.delete': ({ principal, ...which }) => users.delete(principal, which),
    'identity.users.disable': ({ principal, ...which }) => users.disable(principal, which),
    'identity.users.enable': ({ principal, ...which }) => users.enable(principal, which),

    'identity.totp.setup': ({ principal }) => totp.setup(principal),
    'identity.totp.enable': ({ principal, secret, code }) => totp.enable(principal, secret, code),
    'identity.totp.disable': ({ principal }) => totp.disable(principal),

    'identity.groups.create': ({ principal, name }) => groups.create(principal, name),
    'identity.groups.list': ({ principal, cursor, limit }) => groups.list(principal, cursor, limit),
    'identity.groups.get': ({ principal, id }) => groups.get(principal, id),
    'identity.groups.update': ({ principal, ...change }) => groups.rename(principal, change),
    'identity.groups.delete': ({ principal, ...which }) => groups.delete(principal, which),
    'identity.groups.members.add': ({ principal, id, userId }) => groups.addMember(principal, id, userId),
    'identity.groups.members.remove': ({ principal, id, userId }) =>
      groups.removeMember(principal, id, userId),

    'identity.apikeys.create': ({ principal, ...key }) => apiKeys.create(principal, key),
    'identity.apikeys.list': ({ principal, cursor, limit }) => apiKeys.list(principal, cursor, limit),
    'identity.apikeys.revoke': ({ principal, id }) => apiKeys.revoke(principal, id),

    'identity.idp.create': ({ principal, ...provider }) => identityProviders.create(principal, provider),
    'identity.idp.list': ({ principal }) => identityProviders.list(principal),
    'identity.idp.get': ({ principal, id }) => identityProviders.get(principal, id),
    'identity.idp.update': ({ principal, ...change }) => identityProviders.update(principal, change),
    'identity.idp.delete': ({ principal, ...which }) => identityProviders.delete(principal, which),
    'identity.idp.forSignIn': (request) => identityProviders.forSignIn(request),

    'identity.oidc.start': (request) => externalSignIn.start(request),
    'identity.oidc.complete': (request) => externalSignIn.complete(request),
    'identity.signin.redeem': (request) => externalSignIn.redeem(request),

    'identity.passkeys.registrationOptions': ({ principal }) => passkeys.registrationOptions(principal),
    'identity.passkeys.register': (request) => passkeys.register(request),
    'identity.passkeys.list': ({ principal }) => passkeys.list(principal),
    'identity.passkeys.rename': (request) => passkeys.rename(request),
    'identity.passkeys.remove': (request) => passkeys.remove(request),
    'identity.passkeys.only': (request) => passkeys.setPasskeyOnly(request),
    'identity.passkeys.authenticationOptions': () => passkeys.authenticationOptions(),
    'identity.passkeys.authenticate': (request) => passkeys.authenticate(request),
  }),
);
