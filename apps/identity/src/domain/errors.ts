import { DomainError } from '@rustronaut/contracts';

/** Codes raised by the identity service (see docs/errors.md). */
export enum IdentityErrorCode {
  InvalidCredentials = 'AUTH_INVALID_CREDENTIALS',
  TotpRequired = 'AUTH_TOTP_REQUIRED',
  InvalidToken = 'AUTH_INVALID_TOKEN',
  NotFound = 'IDENTITY_NOT_FOUND',
  EmailTaken = 'IDENTITY_EMAIL_TAKEN',
  LastOwner = 'IDENTITY_LAST_OWNER',
  /** The first run is over: the platform has its first administrator. */
  SetupDone = 'IDENTITY_SETUP_DONE',
  InvalidTotpCode = 'IDENTITY_INVALID_TOTP_CODE',
  /** An identity provider's settings that cannot work (issuer, mapped groups). */
  InvalidProvider = 'IDENTITY_INVALID_PROVIDER',
  /** RN_SECRETS_KEY is missing, or does not open a sealed secret. */
  SecretsKeyMissing = 'IDENTITY_SECRETS_KEY_MISSING',
  /** The identity provider did not answer, or answered something unusable (discovery, token endpoint). */
  ProviderUnavailable = 'IDENTITY_PROVIDER_UNAVAILABLE',
  /** A sign-in through a provider refused: state, code, ID token, or who the person is. */
  SignInRefused = 'AUTH_SIGN_IN_REFUSED',
  /** A password alone is not enough for this account (single sign-on or passkeys only). */
  PasswordLoginDisabled = 'AUTH_PASSWORD_LOGIN_DISABLED',
  /** A passkey registration, sign-in or change refused (verification failed, unknown, last one). */
  PasskeyRefused = 'AUTH_PASSKEY_REFUSED',
  /** The account is disabled: every way in (password, provider, passkey, its API keys) is refused. */
  AccountDisabled = 'AUTH_ACCOUNT_DISABLED',
  /** An admin tried to disable their own account (nobody locks themself out). */
  CannotDisableSelf = 'IDENTITY_CANNOT_DISABLE_SELF',
}

export class IdentityError extends DomainError<IdentityErrorCode> {}

export const notFound = (what: string, id: string) =>
  new IdentityError(IdentityErrorCode.NotFound, `${what} ${id} does not exist in your organisation`, {
    details: { id },
  });

export { forbidden } from '@rustronaut/contracts';

export const accountDisabled = () =>
  new IdentityError(IdentityErrorCode.AccountDisabled, 'this account is disabled: ask an admin to enable it');
