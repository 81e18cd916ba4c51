import type { Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import { Server as NetServer } from 'node:net';
import type { Logger } from '@rustronaut/observability';
import type { HttpConnections } from './http-connections';
import type { L4Listeners } from '../l4/l4-listeners';

/**
 * A graceful stop (SIGTERM, SIGINT): the listeners stop accepting at once (new connections are
 * refused), requests and TCP connections in flight go on up to the drain deadline, keep-alive
 * connections are closed once idle for a moment (HttpConnections.closeIdle), and whatever is still
 * open at the deadline is cut. UDP ports close at
 * once (there is no connection to finish; clients resend). Logs its progress.
 */
export async function drainGateway(options: {
  servers: (Server | Http2SecureServer)[];
  connections: HttpConnections;
  l4: L4Listeners;
  timeoutMs: number;
  logger: Logger;
}): Promise<{ cut: number }> {
  const { servers, connections, l4, timeoutMs, logger } = options;
  // Stop accepting, and only that: http's close() (and http2's, with HTTP/1.1 allowed) also
  // destroys at once every keep-alive connection between two requests, while its client may be
  // sending the next one (it would see that request fail). Idle connections are left to
  // connections.drain(); the servers' header timeouts keep running meanwhile.
  for (const server of servers) NetServer.prototype.close.call(server);
  l4.stopAccepting();
  connections.drain();
  const open = () => connections.size + l4.active;
  const deadline = Date.now() + timeoutMs;
  let lastLog = 0;
  while (open() > 0 && Date.now() < deadline) {
    if (Date.now() - lastLog >= 1000) {
      lastLog = Date.now();
      logger.info(
        { pid: process.pid, http: connections.size, tcp: l4.active, left_ms: deadline - Date.now() },
        `draining ${open()} connections`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    connections.closeIdle();
  }
  const cut = open();
  if (cut > 0) {
    logger.warn({ cut, timeout_ms: timeoutMs }, `drain deadline reached: cutting ${cut} connections`);
    connections.destroyAll();
    l4.destroyAll();
  } else logger.info({ pid: process.pid }, 'drained: every connection finished');
  return { cut };
}
