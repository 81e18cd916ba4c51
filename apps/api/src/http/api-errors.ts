import { DomainError } from '@rustronaut/contracts';

/** Codes raised by the HTTP layer itself (see docs/errors.md). */
export enum ApiErrorCode {
  MalformedJson = 'API_MALFORMED_JSON',
  RouteNotFound = 'API_ROUTE_NOT_FOUND',
  PayloadTooLarge = 'API_PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'API_UNSUPPORTED_MEDIA_TYPE',
  RateLimited = 'AUTH_RATE_LIMITED',
  BadPrecondition = 'API_BAD_PRECONDITION',
  InvalidReturnUrl = 'API_INVALID_RETURN_URL',
  UnknownReturnHost = 'API_UNKNOWN_RETURN_HOST',
}

export class ApiError extends DomainError<ApiErrorCode> {}

/**
 * The one table from error code to HTTP status; a code not listed is a 500. A stale `If-Match` is
 * a 412 (RFC 9110 §13.1.1) whose answer carries the current `ETag` (`currentEtag`); a write without
 * `If-Match` is not refused (no 428): it is decided on the latest state, unique keys still hold.
 */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 400,
  API_MALFORMED_JSON: 400,
  API_BAD_PRECONDITION: 400,
  API_INVALID_RETURN_URL: 400,
  API_UNKNOWN_RETURN_HOST: 400,
  IDENTITY_INVALID_TOTP_CODE: 400,
  IDENTITY_INVALID_PROVIDER: 400,
  POLICY_SUBNET_OVERLAP: 400,
  POLICY_PORT_IN_USE: 400,
  POLICY_INVALID_RESOURCE: 400,
  REGISTRY_UNKNOWN_SITE: 400,
  CONTRACTS_INVALID_EVENT: 400,
  CONTRACTS_INVALID_SUBJECT_TOKEN: 400,
  EVENTSTORE_INVALID_APPEND: 400,
  AUTH_UNAUTHENTICATED: 401,
  AUTH_INVALID_CREDENTIALS: 401,
  AUTH_TOTP_REQUIRED: 401,
  AUTH_INVALID_TOKEN: 401,
  AUTH_SIGN_IN_REFUSED: 401,
  AUTH_PASSKEY_REFUSED: 401,
  REGISTRY_INVALID_ENROLLMENT_TOKEN: 401,
  AUTH_FORBIDDEN: 403,
  AUTH_PASSWORD_LOGIN_DISABLED: 403,
  AUTH_ACCOUNT_DISABLED: 403,
  API_ROUTE_NOT_FOUND: 404,
  IDENTITY_NOT_FOUND: 404,
  POLICY_NOT_FOUND: 404,
  REGISTRY_NOT_FOUND: 404,
  EVENTSTORE_CONCURRENCY_CONFLICT: 409,
  EVENTSTORE_RESERVATION_LOST: 409,
  IDENTITY_EMAIL_TAKEN: 409,
  IDENTITY_LAST_OWNER: 409,
  IDENTITY_CANNOT_DISABLE_SELF: 409,
  POLICY_DOMAIN_TAKEN: 409,
  POLICY_SITE_IN_USE: 409,
  POLICY_NO_SITE_FOR_SERVICE: 409,
  POLICY_NO_FREE_PORT: 409,
  POLICY_TUNNEL_NAME_TAKEN: 409,
  WIREGUARD_SUBNET_FULL: 409,
  DEVICE_KEY_IN_USE: 409,
  DEVICE_ADDRESS_BUSY: 409,
  DEVICE_NO_GATEWAY: 409,
  IDENTITY_SETUP_DONE: 409,
  DEVICE_KEY_MISMATCH: 400,
  EVENTSTORE_PRECONDITION_FAILED: 412,
  API_PAYLOAD_TOO_LARGE: 413,
  API_UNSUPPORTED_MEDIA_TYPE: 415,
  AUTH_RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  IDENTITY_PROVIDER_UNAVAILABLE: 502,
  IDENTITY_SECRETS_KEY_MISSING: 503,
  POLICY_SECRETS_KEY_MISSING: 503,
  EVENTSTORE_UNAVAILABLE: 503,
};

/** The ETag to reload, for an answer that has one (a failed precondition). */
export function currentEtag(details: Record<string, unknown> | undefined): string | undefined {
  const version = details?.['currentVersion'];
  return typeof version === 'number' ? `"${version}"` : undefined;
}
