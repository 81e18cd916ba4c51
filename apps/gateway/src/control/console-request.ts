import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** How long the console has to answer a request of the gateway's first start. */
const TIMEOUT_MS = 30_000;

/**
 * One JSON request to the console over node:http(s), for enrolment and the config keys of a first
 * start. Not fetch(): Node.js's fetch loads undici and compiles its WebAssembly HTTP parser, which
 * a gateway would then hold for good (~15 MB resident) for two requests in its life.
 * Resolves with the status and the parsed body (undefined when it is not JSON); rejects when the
 * console cannot be reached.
 */
export function consoleRequest(
  url: string,
  options: { method?: 'GET' | 'POST'; json?: unknown } = {},
): Promise<{ status: number; ok: boolean; body: unknown }> {
  const payload = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: options.method ?? 'GET',
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
        timeout: TIMEOUT_MS,
        agent: false, // no connection kept open after it
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          resolve({ status, ok: status >= 200 && status < 300, body });
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.once('error', reject);
    req.end(payload);
  });
}
