/**
 * The one error style of the system: a domain error carries a stable, documented `code`
 * (listed in docs/errors.md), a human message, optional details for the caller, and the cause.
 * Transports (HTTP, NATS replies) map codes to their own status; domain code never does.
 */
export class DomainError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: Code,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
