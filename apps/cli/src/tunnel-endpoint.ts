import { CliError, CliErrorCode } from './errors';

/** `gw.example.com:7443`, `[::1]:7443` → host and port; undefined when it is not host:port. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || port < 1 || port > 65535) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** The gateway's tunnel endpoint as the console gives it. */
export function tunnelEndpoint(endpoint: string): { host: string; port: number } {
  const parsed = parseHostPort(endpoint);
  if (!parsed)
    throw new CliError(
      CliErrorCode.ConsoleAnswer,
      `the console gave a tunnel endpoint that is not host:port ("${endpoint}")`,
      "check the gateway's tunnel address in the console's configuration",
    );
  return parsed;
}
