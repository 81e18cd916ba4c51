import { CliError, CliErrorCode } from './errors';

/** The gateway's tunnel endpoint as the console gives it (`gw.example.com:7443`, `[::1]:7443`). */
export function tunnelEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(endpoint);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535)
    throw new CliError(
      CliErrorCode.ConsoleAnswer,
      `the console gave a tunnel endpoint that is not host:port ("${endpoint}")`,
      "check the gateway's tunnel address in the console's configuration",
    );
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
