/** Failures of the `rustronaut` command itself (the console's own codes pass through as they are). */
export enum CliErrorCode {
  Usage = 'CLI_USAGE',
  NotLoggedIn = 'CLI_NOT_LOGGED_IN',
  ConsoleUnreachable = 'CLI_CONSOLE_UNREACHABLE',
  ConsoleAnswer = 'CLI_CONSOLE_BAD_ANSWER',
  Credentials = 'CLI_CREDENTIALS_UNREADABLE',
  LocalNotListening = 'CLI_LOCAL_NOT_LISTENING',
  LocalAddressInUse = 'CLI_LOCAL_ADDRESS_IN_USE',
  TunnelRefused = 'CLI_TUNNEL_REFUSED',
  ForwardRefused = 'CLI_FORWARD_REFUSED',
  GatewayCaChanged = 'CLI_GATEWAY_CA_CHANGED',
  NotSupported = 'CLI_NOT_SUPPORTED',
  NotPermitted = 'CLI_NOT_PERMITTED',
  NotConnected = 'CLI_NOT_CONNECTED',
  Internal = 'CLI_INTERNAL',
}

/**
 * An error the command reports and exits with: a message that says what happened, a hint that says
 * what to do next, the exit code (1 for failures, 2 for bad usage).
 */
export class CliError extends Error {
  constructor(
    readonly code: CliErrorCode | string,
    message: string,
    readonly hint?: string,
    readonly exitCode = code === CliErrorCode.Usage ? 2 : 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export const usage = (message: string, hint?: string) => new CliError(CliErrorCode.Usage, message, hint);

/** A failure the console's API answered (`{"error":{status,code,message}}`), with its HTTP status. */
export class ConsoleApiError extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    hint?: string,
  ) {
    super(code, message, hint);
    this.name = 'ConsoleApiError';
  }
}
