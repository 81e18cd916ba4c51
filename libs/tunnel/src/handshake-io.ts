import type { Duplex } from 'node:stream';
import { readFrame, type HandshakeMessage } from './handshake';

export class HandshakeError extends Error {
  constructor(
    message: string,
    readonly code: 'TUNNEL_HANDSHAKE_INVALID' | 'TUNNEL_HANDSHAKE_TIMEOUT' | 'TUNNEL_HANDSHAKE_CLOSED',
  ) {
    super(message);
    this.name = 'HandshakeError';
  }
}

/**
 * Waits for one handshake frame on a socket. Whatever arrived after it is pushed back onto the
 * socket (it is the peer's first HTTP/2 bytes), so the next reader sees the stream intact.
 */
export function receiveHandshake(socket: Duplex, timeoutMs: number): Promise<HandshakeMessage> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (outcome: { message: HandshakeMessage; rest: Buffer } | HandshakeError) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      if (outcome instanceof HandshakeError) return reject(outcome);
      socket.pause();
      if (outcome.rest.length) socket.unshift(outcome.rest);
      resolve(outcome.message);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const result = readFrame(received);
      if (result.kind === 'more') return;
      if (result.kind === 'invalid')
        return finish(new HandshakeError(result.reason, 'TUNNEL_HANDSHAKE_INVALID'));
      finish({ message: result.message, rest: result.rest });
    };
    const onClose = () =>
      finish(new HandshakeError('the connection closed during the handshake', 'TUNNEL_HANDSHAKE_CLOSED'));
    const timer = setTimeout(
      () => finish(new HandshakeError(`no handshake within ${timeoutMs} ms`, 'TUNNEL_HANDSHAKE_TIMEOUT')),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.resume();
  });
}
