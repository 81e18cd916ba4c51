import {
  Injectable,
  SetMetadata,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '@rustronaut/contracts';
import type { Authenticator } from './authenticator';
import { authorizationOf } from '../sign-in/console-session';

const PUBLIC = 'rustronaut:public';
/** A route anyone may call, without credentials. */
export const Public = () => SetMetadata(PUBLIC, true);

/** Whether a handler (or its whole controller) is @Public(). */
export const isPublicRoute = (handler: object, controller: object): boolean =>
  Reflect.getMetadata(PUBLIC, handler) === true || Reflect.getMetadata(PUBLIC, controller) === true;

type AuthedRequest = FastifyRequest & { principal?: Principal };

/** Every route needs a valid bearer token (or the web console's session cookie) unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [execution.getHandler(), execution.getClass()]))
      return true;
    const request = execution.switchToHttp().getRequest<AuthedRequest>();
    request.principal = await this.authenticator.authenticate(
      authorizationOf({
        method: request.method,
        authorization: request.headers.authorization,
        cookie: request.headers.cookie,
        csrfHeader: request.headers['x-csrf-token'],
      }),
    );
    return true;
  }
}

/** The authenticated caller of this request. */
export const Caller = createParamDecorator((_: unknown, execution: ExecutionContext): Principal => {
  const principal = execution.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new Error('route without AuthGuard asked for the caller');
  return principal;
});
