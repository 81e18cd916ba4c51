import { connect } from 'node:net';
import { join } from 'node:path';
import { WireGuardError, WireGuardErrorCode } from './errors';
import {
  GET_REQUEST,
  encodeSet,
  parseGet,
  replyErrno,
  type DeviceChange,
  type DeviceStatus,
} from './uapi-protocol';

/** Where wireguard-go (and boringtun) put an interface's UAPI socket. */
export const UAPI_SOCKET_DIR = '/var/run/wireguard';
export const uapiSocketPath = (ifname: string, dir = UAPI_SOCKET_DIR) => join(dir, `${ifname}.sock`);

/** The largest reply we read (a `get` of an interface with many thousands of peers fits). */
const MAX_REPLY = 64 * 1024 * 1024;

/**
 * A client of one interface's UAPI socket: every request on its own connection (the socket
 * serves them one at a time), with a timeout, and the reply's errno turned into an error.
 */
export class UapiClient {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 5000,
  ) {}

  async get(): Promise<DeviceStatus> {
    return parseGet(await this.#exchange(GET_REQUEST));
  }

  async set(change: DeviceChange): Promise<void> {
    const errno = replyErrno(await this.#exchange(encodeSet(change)));
    if (errno !== 0) {
      throw new WireGuardError(WireGuardErrorCode.Uapi, `the interface refused the change (errno=${errno})`, {
        details: { errno },
      });
    }
  }

  #exchange(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      const chunks: Buffer[] = [];
      let size = 0;
      const fail = (message: string, cause?: unknown) => {
        socket.destroy();
        reject(new WireGuardError(WireGuardErrorCode.Unavailable, message, { cause }));
      };
      socket.setTimeout(this.timeoutMs, () =>
        fail(`no answer from ${this.socketPath} in ${this.timeoutMs} ms`),
      );
      socket.on('error', (error) => fail(`cannot talk to ${this.socketPath}: ${error.message}`, error));
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size > MAX_REPLY) return fail(`reply from ${this.socketPath} is too large`);
        const text = Buffer.concat(chunks).toString('utf8');
        if (/(?:^|\n)errno=-?\d+\n\n$/.test(text)) {
          socket.end();
          resolve(text);
        }
      });
      socket.on('end', () => fail(`${this.socketPath} closed before its reply ended`));
      socket.write(request);
    });
  }
}
