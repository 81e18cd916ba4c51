import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IdentityRequests, type IdentityCommand, type IdentityPattern } from '@rustronaut/contracts';
import { parseRequest } from '@rustronaut/messaging';
import { IdentityUseCases } from './use-cases/identity-use-cases';

const parse = <P extends IdentityPattern>(pattern: P, payload: unknown): IdentityCommand<P> =>
  parseRequest(IdentityRequests[pattern], payload) as IdentityCommand<P>;

/** NATS request/reply handlers: parse, call one use case. Replies are shaped by ServiceHandlerInterceptor. */
@Controller()
export class IdentityController {
  constructor(@Inject(IdentityUseCases) private readonly uc: IdentityUseCases) {}

  @MessagePattern('identity.login')
  login(@Payload() p: unknown) {
    return this.uc.auth.login(parse('identity.login', p));
  }

  @MessagePattern('identity.refresh')
  refresh(@Payload() p: unknown) {
    return this.uc.auth.refresh(parse('identity.refresh', p));
  }

  @MessagePattern('identity.logout')
  logout(@Payload() p: unknown) {
    return this.uc.auth.logout(parse('identity.logout', p).principal);
  }

  @MessagePattern('identity.handoff.issue')
  issueHandoff(@Payload() p: unknown) {
    return this.uc.auth.issueHandoff(parse('identity.handoff.issue', p));
  }

  @MessagePattern('identity.jwks')
  jwks() {
    return this.uc.auth.jwks();
  }

  @MessagePattern('identity.keys.rotate')
  rotateKeys(@Payload() p: unknown) {
    return this.uc.auth.rotateKeys(parse('identity.keys.rotate', p).principal);
  }

  @MessagePattern('identity.apikey.exchange')
  exchangeApiKey(@Payload() p: unknown) {
    return this.uc.auth.exchangeApiKey(parse('identity.apikey.exchange', p).principal);
  }

  @MessagePattern('identity.apikey.verify')
  verifyApiKey(@Payload() p: unknown) {
    return this.uc.auth.verifyApiKey(parse('identity.apikey.verify', p));
  }

  @MessagePattern('identity.orgs.create')
  createOrg(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.orgs.create', p);
    return this.uc.organizations.create(principal, request);
  }

  @MessagePattern('identity.orgs.list')
  listOrgs(@Payload() p: unknown) {
    return this.uc.organizations.list(parse('identity.orgs.list', p).principal);
  }

  @MessagePattern('identity.orgs.get')
  getOrg(@Payload() p: unknown) {
    const { principal, id } = parse('identity.orgs.get', p);
    return this.uc.organizations.get(principal, id);
  }

  @MessagePattern('identity.orgs.update')
  updateOrg(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.orgs.update', p);
    return this.uc.organizations.update(principal, request);
  }

  @MessagePattern('identity.orgs.delete')
  deleteOrg(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.orgs.delete', p);
    return this.uc.organizations.delete(principal, request);
  }

  @MessagePattern('identity.users.create')
  createUser(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.users.create', p);
    return this.uc.users.create(principal, request);
  }

  @MessagePattern('identity.users.list')
  listUsers(@Payload() p: unknown) {
    const { principal, cursor, limit } = parse('identity.users.list', p);
    return this.uc.users.list(principal, cursor, limit);
  }

  @MessagePattern('identity.users.get')
  getUser(@Payload() p: unknown) {
    const { principal, id } = parse('identity.users.get', p);
    return this.uc.users.get(principal, id);
  }

  @MessagePattern('identity.users.update')
  updateUser(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.users.update', p);
    return this.uc.users.update(principal, request);
  }

  @MessagePattern('identity.users.delete')
  deleteUser(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.users.delete', p);
    return this.uc.users.delete(principal, request);
  }

  @MessagePattern('identity.totp.setup')
  setupTotp(@Payload() p: unknown) {
    return this.uc.totp.setup(parse('identity.totp.setup', p).principal);
  }

  @MessagePattern('identity.totp.enable')
  enableTotp(@Payload() p: unknown) {
    const { principal, secret, code } = parse('identity.totp.enable', p);
    return this.uc.totp.enable(principal, secret, code);
  }

  @MessagePattern('identity.totp.disable')
  disableTotp(@Payload() p: unknown) {
    return this.uc.totp.disable(parse('identity.totp.disable', p).principal);
  }

  @MessagePattern('identity.groups.create')
  createGroup(@Payload() p: unknown) {
    const { principal, name } = parse('identity.groups.create', p);
    return this.uc.groups.create(principal, name);
  }

  @MessagePattern('identity.groups.list')
  listGroups(@Payload() p: unknown) {
    const { principal, cursor, limit } = parse('identity.groups.list', p);
    return this.uc.groups.list(principal, cursor, limit);
  }

  @MessagePattern('identity.groups.get')
  getGroup(@Payload() p: unknown) {
    const { principal, id } = parse('identity.groups.get', p);
    return this.uc.groups.get(principal, id);
  }

  @MessagePattern('identity.groups.update')
  updateGroup(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.groups.update', p);
    return this.uc.groups.rename(principal, request);
  }

  @MessagePattern('identity.groups.delete')
  deleteGroup(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.groups.delete', p);
    return this.uc.groups.delete(principal, request);
  }

  @MessagePattern('identity.groups.members.add')
  addMember(@Payload() p: unknown) {
    const { principal, id, userId } = parse('identity.groups.members.add', p);
    return this.uc.groups.addMember(principal, id, userId);
  }

  @MessagePattern('identity.groups.members.remove')
  removeMember(@Payload() p: unknown) {
    const { principal, id, userId } = parse('identity.groups.members.remove', p);
    return this.uc.groups.removeMember(principal, id, userId);
  }

  @MessagePattern('identity.apikeys.create')
  createApiKey(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.apikeys.create', p);
    return this.uc.apiKeys.create(principal, request);
  }

  @MessagePattern('identity.apikeys.list')
  listApiKeys(@Payload() p: unknown) {
    const { principal, cursor, limit } = parse('identity.apikeys.list', p);
    return this.uc.apiKeys.list(principal, cursor, limit);
  }

  @MessagePattern('identity.apikeys.revoke')
  revokeApiKey(@Payload() p: unknown) {
    const { principal, id } = parse('identity.apikeys.revoke', p);
    return this.uc.apiKeys.revoke(principal, id);
  }

  @MessagePattern('identity.idp.create')
  createProvider(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.idp.create', p);
    return this.uc.identityProviders.create(principal, request);
  }

  @MessagePattern('identity.idp.list')
  listProviders(@Payload() p: unknown) {
    return this.uc.identityProviders.list(parse('identity.idp.list', p).principal);
  }

  @MessagePattern('identity.idp.get')
  getProvider(@Payload() p: unknown) {
    const { principal, id } = parse('identity.idp.get', p);
    return this.uc.identityProviders.get(principal, id);
  }

  @MessagePattern('identity.idp.update')
  updateProvider(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.idp.update', p);
    return this.uc.identityProviders.update(principal, request);
  }

  @MessagePattern('identity.idp.delete')
  deleteProvider(@Payload() p: unknown) {
    const { principal, ...request } = parse('identity.idp.delete', p);
    return this.uc.identityProviders.delete(principal, request);
  }

  @MessagePattern('identity.idp.forSignIn')
  providersForSignIn(@Payload() p: unknown) {
    return this.uc.identityProviders.forSignIn(parse('identity.idp.forSignIn', p));
  }

  @MessagePattern('identity.oidc.start')
  startOidc(@Payload() p: unknown) {
    return this.uc.externalSignIn.start(parse('identity.oidc.start', p));
  }

  @MessagePattern('identity.oidc.complete')
  completeOidc(@Payload() p: unknown) {
    return this.uc.externalSignIn.complete(parse('identity.oidc.complete', p));
  }

  @MessagePattern('identity.signin.redeem')
  redeemSignIn(@Payload() p: unknown) {
    return this.uc.externalSignIn.redeem(parse('identity.signin.redeem', p));
  }

  @MessagePattern('identity.passkeys.registrationOptions')
  passkeyRegistrationOptions(@Payload() p: unknown) {
    return this.uc.passkeys.registrationOptions(parse('identity.passkeys.registrationOptions', p).principal);
  }

  @MessagePattern('identity.passkeys.register')
  registerPasskey(@Payload() p: unknown) {
    return this.uc.passkeys.register(parse('identity.passkeys.register', p));
  }

  @MessagePattern('identity.passkeys.list')
  listPasskeys(@Payload() p: unknown) {
    return this.uc.passkeys.list(parse('identity.passkeys.list', p).principal);
  }

  @MessagePattern('identity.passkeys.rename')
  renamePasskey(@Payload() p: unknown) {
    return this.uc.passkeys.rename(parse('identity.passkeys.rename', p));
  }

  @MessagePattern('identity.passkeys.remove')
  removePasskey(@Payload() p: unknown) {
    return this.uc.passkeys.remove(parse('identity.passkeys.remove', p));
  }

  @MessagePattern('identity.passkeys.only')
  passkeyOnly(@Payload() p: unknown) {
    return this.uc.passkeys.setPasskeyOnly(parse('identity.passkeys.only', p));
  }

  @MessagePattern('identity.passkeys.authenticationOptions')
  passkeyAuthenticationOptions() {
    return this.uc.passkeys.authenticationOptions();
  }

  @MessagePattern('identity.passkeys.authenticate')
  authenticateWithPasskey(@Payload() p: unknown) {
    return this.uc.passkeys.authenticate(parse('identity.passkeys.authenticate', p));
  }
}
