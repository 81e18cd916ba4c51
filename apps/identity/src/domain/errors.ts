import { DomainError } from '@rustronaut/contracts';

/** Codes raised by the identity service (see docs/errors.md). */
export enum IdentityErrorCode {
  InvalidCredentials = 'AUTH_INVALID_CREDENTIALS',
  TotpRequired = 'AUTH_TOTP_REQUIRED',
  InvalidToken = 'AUTH_INVALID_TOKEN',
  NotFound = 'IDENTITY_NOT_FOUND',
  EmailTaken = 'IDENTITY_EMAIL_TAKEN',
  LastOwner = 'IDENTITY_LAST_OWNER',
  InvalidTotpCode = 'IDENTITY_INVALID_TOTP_CODE',
}

export class IdentityError extends DomainError<IdentityErrorCode> {}

export const notFound = (what: string, id: string) =>
  new IdentityError(IdentityErrorCode.NotFound, `${what} ${id} does not exist in your organisation`, {
    details: { id },
  });

export { forbidden } from '@rustronaut/contracts';
