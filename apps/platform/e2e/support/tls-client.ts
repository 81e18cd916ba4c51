import type { X509Certificate } from 'node:crypto';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { connect as tlsConnect } from 'node:tls';

/** Clients of the gateway's HTTPS listener: a bare handshake, HTTP/2 and HTTP/1.1 over TLS. */

/** What the gateway's TLS handshake for one server name shows a client that trusts only `ca`. */
export function handshake(
  port: number,
  servername: string | undefined,
  ca: string,
  alpn = ['h2', 'http/1.1'],
) {
  return new Promise<{ authorized: boolean; error?: string; cert: X509Certificate; alpn: string | false }>(
    (resolve, reject) => {
      const socket = tlsConnect(
        // Not rejecting, so the test sees what a verifying client would decide (authorized, error).
        {
          host: '127.0.0.1',
          port,
          ...(servername ? { servername } : {}),
          ca,
          ALPNProtocols: alpn,
          rejectUnauthorized: false,
        },
        () => {
          const cert = socket.getPeerX509Certificate();
          if (!cert) return reject(new Error('the gateway sent no certificate'));
          resolve({
            authorized: socket.authorized,
            error: socket.authorizationError ? String(socket.authorizationError) : undefined,
            cert,
            alpn: socket.alpnProtocol ?? false,
          });
          socket.end();
        },
      );
      socket.on('error', reject);
    },
  );
}

/** An HTTP/2 session to the gateway for `host` (SNI and :authority), trusting only `ca`. */
export function h2session(port: number, host: string, ca: string): ClientHttp2Session {
  return h2connect(`https://${host}:${port}`, {
    createConnection: () =>
      tlsConnect({ host: '127.0.0.1', port, servername: host, ca, ALPNProtocols: ['h2'] }),
  });
}

export function h2get(
  session: ClientHttp2Session,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, ':method': body ? 'POST' : 'GET', ...headers });
    const chunks: Buffer[] = [];
    let responseHeaders: Record<string, unknown> = {};
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () =>
      resolve({
        status: Number(responseHeaders[':status']),
        headers: responseHeaders,
        body: Buffer.concat(chunks),
      }),
    );
    stream.on('error', reject);
    stream.end(body);
  });
}

/** HTTP/1.1 over TLS: SNI `servername`, Host `host`. */
export function h1get(
  port: number,
  servername: string,
  host: string,
  path: string,
  ca: string,
  verify = true,
) {
  return new Promise<{ status: number; text: string; alpn: string | false }>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername,
        path,
        ca,
        headers: { host },
        ALPNProtocols: ['http/1.1'],
        agent: false,
        rejectUnauthorized: verify,
      } as RequestOptions & { ALPNProtocols: string[] },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            alpn: (res.socket as unknown as { alpnProtocol: string | false }).alpnProtocol,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}
