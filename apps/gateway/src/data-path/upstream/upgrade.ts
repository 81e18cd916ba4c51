import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { isConnectFailure, type TargetState } from './balancer/balancer';
import { upstreamHeaders } from './header-filter';
import { reasonOf, writeRefusalToSocket } from '../http/pages';
import { tlsServerName, type UpstreamContext } from './exchange-context';
import type { Admission } from '../model';

/** A WebSocket (or any HTTP upgrade), once admitted: the two sockets are joined. */
export function joinUpgrade(
  owner: UpstreamContext,
  admission: Admission,
  socket: Duplex,
  head: Buffer,
): void {
  const picked = owner.balancer.choose(admission.resource);
  // Least connections with several workers: the primary picks (see Balancer.choose).
  if (picked instanceof Promise)
    return void picked.then((target) => joinTarget(owner, admission, socket, head, target));
  joinTarget(owner, admission, socket, head, picked);
}

function joinTarget(
  owner: UpstreamContext,
  admission: Admission,
  socket: Duplex,
  head: Buffer,
  picked: TargetState | undefined,
): void {
  const { req, resource } = admission;
  if (!picked) {
    const message = owner.balancer.noTargetMessage(resource);
    admission.record.fail('target', message);
    admission.record.status = 503;
    return writeRefusalToSocket(socket, { status: 503, message });
  }
  owner.balancer.started(picked);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    owner.balancer.ended(picked);
  };
  socket.once('close', release);
  const headers = upstreamHeaders(admission);
  headers['connection'] = 'Upgrade';
  headers['upgrade'] = req.headers.upgrade;
  const route = owner.route(admission, picked);
  if (!route) {
    release();
    const message = owner.tunnelOffline(resource);
    admission.record.fail('target', message);
    admission.record.status = 502;
    return writeRefusalToSocket(socket, { status: 502, message });
  }
  const { agent, ...where } = route;
  const options = { ...where, method: req.method, path: admission.facts.target, headers };
  // An upgraded connection is not returned to a pool: a fresh one (or a fresh tunnel stream).
  const upstream =
    picked.protocol === 'https'
      ? httpsRequest({
          ...options,
          agent: false,
          ...(owner.tls.ca ? { ca: owner.tls.ca } : {}),
          servername: tlsServerName(picked),
        })
      : request({ ...options, agent: 'tunnel' in picked.destination ? agent : undefined });
  upstream.on('upgrade', (response: IncomingMessage, upstreamSocket: Duplex, upstreamHead: Buffer) => {
    owner.balancer.succeeded(picked);
    admission.record.status = response.statusCode ?? 101;
    const lines = [`HTTP/1.1 ${response.statusCode} ${response.statusMessage}`];
    for (let i = 0; i < response.rawHeaders.length; i += 2)
      lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (upstreamHead.length) socket.write(upstreamHead);
    if (head.length) upstreamSocket.write(head);
    upstreamSocket.on('error', () => socket.destroy());
    socket.on('error', () => upstreamSocket.destroy());
    socket.once('close', () => upstreamSocket.destroy());
    upstreamSocket.once('close', () => socket.destroy());
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
  });
  upstream.on('response', (response) => {
    owner.balancer.succeeded(picked);
    admission.record.status = response.statusCode ?? 502;
    socket.end(
      `HTTP/1.1 ${response.statusCode} ${reasonOf(response.statusCode ?? 502)}\r\nconnection: close\r\n\r\n`,
    );
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (isConnectFailure(error)) owner.balancer.connectFailed(picked, error);
    admission.record.fail(
      'target',
      `the target ${picked.target} is not answering (${error.code ?? error.message})`,
    );
    admission.record.status = 502;
    socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n');
  });
  upstream.end();
}
