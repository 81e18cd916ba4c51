import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2SecureServer, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

const ACTIVE = Symbol('requests in flight on this connection');
const IDLE_SINCE = Symbol('when its last response finished (ms)');
const UPGRADED = Symbol('joined to a target (WebSocket)');
const SOCKET = Symbol('the connection of this response');

type TrackedSocket = Socket & { [ACTIVE]?: number; [IDLE_SINCE]?: number; [UPGRADED]?: boolean };
type TrackedResponse = ServerResponse & { [SOCKET]?: TrackedSocket };

/**
 * How long a keep-alive connection must have been idle before a drain closes it. A client that is
 * using the connection sends its next request within that time and gets it answered, with
 * `Connection: close`; closing at once would race that request (the client has written it, the
 * gateway has not read it yet), and the client would see its request fail, which it can only send
 * again safely when it is idempotent.
 */
export const DRAIN_IDLE_GRACE_MS = 1_000;

/**
 * The client connections of the HTTP and HTTPS listeners, so a stop can drain them: requests in
 * flight finish, keep-alive connections idle for DRAIN_IDLE_GRACE_MS are closed, HTTP/1.1
 * responses given while draining say `Connection: close`, HTTP/2 sessions get a GOAWAY and end
 * once their streams are done. Costs a counter and a time on the socket per request; no closure is
 * allocated.
 */
export class HttpConnections {
  readonly #sockets = new Set<TrackedSocket>();
  readonly #sessions = new Set<Http2Session>();
  #draining = false;

  track(server: Server | Http2SecureServer, secure: boolean): void {
    server.on(secure ? 'secureConnection' : 'connection', (socket: TrackedSocket) => {
      // One accepted while draining (already queued) is served, with Connection: close.
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
    // Before the server's handler, which may answer at once: a response given while draining says close.
    server.prependListener('request', this.#onRequest);
    server.on('upgrade', (req: IncomingMessage) => ((req.socket as TrackedSocket)[UPGRADED] = true));
  }

  /** Connections still open (HTTP/1.1 sockets, upgraded sockets and HTTP/2 sessions). */
  get size(): number {
    let count = this.#sessions.size;
    for (const socket of this.#sockets) if ((socket as TLSSocket).alpnProtocol !== 'h2') count++;
    return count;
  }

  /** From now on: no keep-alive, idle connections closed (see closeIdle), HTTP/2 sessions told to go away. */
  drain(): void {
    this.#draining = true;
    for (const session of this.#sessions) session.close();
    this.closeIdle();
  }

  destroyAll(): void {
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#sockets) socket.destroy();
  }

  readonly #onRequest = (req: IncomingMessage, res: TrackedResponse): void => {
    if (req.httpVersionMajor === 2) return; // a stream of a session, drained by GOAWAY
    const socket = req.socket as TrackedSocket;
    socket[ACTIVE] = (socket[ACTIVE] ?? 0) + 1;
    res[SOCKET] = socket;
    if (this.#draining) res.shouldKeepAlive = false;
    res.once('close', this.#onResponseClosed);
  };

  readonly #onResponseClosed = function (this: TrackedResponse): void {
    const socket = this[SOCKET];
    if (!socket) return;
    socket[ACTIVE] = (socket[ACTIVE] ?? 1) - 1;
    if (socket[ACTIVE] === 0) socket[IDLE_SINCE] = Date.now();
  };

  /**
   * Called while draining: connections idle for DRAIN_IDLE_GRACE_MS since their last response are
   * closed; one idle for less is left a moment to send its next request (answered with
   * `Connection: close`). One that has not sent a request yet is left to send it (or to the
   * server's header timeout, or the deadline).
   */
  closeIdle(now = Date.now()): void {
    for (const socket of this.#sockets) {
      if ((socket as TLSSocket).alpnProtocol === 'h2' || socket[UPGRADED]) continue;
      if (socket[ACTIVE] !== 0 || socket.writableEnded) continue;
      if (now - (socket[IDLE_SINCE] ?? 0) >= DRAIN_IDLE_GRACE_MS) socket.end();
    }
  }
}
