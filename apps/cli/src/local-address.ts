import { connect } from 'node:net';
import { CliError, CliErrorCode, usage } from './errors';

/** A service on this machine: `localhost:3000`, `127.0.0.1:5432`, `[::1]:8080`, or just `3000`. */
export interface LocalAddress {
  host: string;
  port: number;
}

export function parseLocalAddress(text: string): LocalAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535)
    throw usage(
      `"${text}" is not a local address`,
      'give host:port (localhost:3000, 127.0.0.1:5432, [::1]:8080) or a port (3000)',
    );
  const host = (match[1] ?? 'localhost').replace(/^\[|\]$/g, '');
  return { host, port };
}

/** `localhost:3000`, `[::1]:8080`: as the console stores it and as people write it. */
export function formatLocalAddress({ host, port }: LocalAddress): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Checks that a TCP service listens there (connects and closes) and answers the address that
 * answered (localhost may be ::1 or 127.0.0.1), so the tunnel dials exactly what was checked.
 */
export function checkListening(address: LocalAddress, timeoutMs = 3000): Promise<LocalAddress> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    const fail = (reason: string) => {
      socket.destroy();
      reject(
        new CliError(
          CliErrorCode.LocalNotListening,
          `local service ${formatLocalAddress(address)} is not listening (${reason})`,
          'start it first, or check the port (`rustronaut discover` lists what listens here)',
        ),
      );
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once('connect', () => {
      const host = socket.remoteAddress ?? address.host;
      socket.destroy();
      resolve({ host: host.replace(/^::ffff:/, ''), port: address.port });
    });
  });
}
