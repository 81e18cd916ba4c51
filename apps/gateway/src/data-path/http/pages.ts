import type { ServerResponse } from 'node:http';
import type { Refusal } from '../model';

const REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function reasonOf(status: number): string {
  return REASONS[status] ?? 'Error';
}

export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const body = refusal.html ?? `${refusal.status} ${refusal.message}\n`;
  res
    .writeHead(refusal.status, {
      'content-type': refusal.html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...(refusal.headers ?? {}),
    })
    .end(body);
}

/** The same refusal on a raw socket (an HTTP upgrade that is not admitted). */
export function writeRefusalToSocket(socket: { end(data: string): void }, refusal: Refusal): void {
  const body = refusal.html ?? `${refusal.status} ${refusal.message}\n`;
  const extra = Object.entries(refusal.headers ?? {})
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}\r\n`))
    .join('');
  socket.end(
    `HTTP/1.1 ${refusal.status} ${reasonOf(refusal.status)}\r\ncontent-type: ${refusal.html ? 'text/html' : 'text/plain'}; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`,
  );
}

export function page(res: ServerResponse, status: number, message: string): void {
  sendRefusal(res, { status, message });
}
