import { request } from 'node:https';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExposedService } from './exposed-service';
import { publicEndpoint } from './exposed-service';
import { tunnelEndpoint } from './tunnel-endpoint';

export interface RouteProbe {
  /** The gateway's tunnel endpoint (its HTTPS listener), where HTTP services are asked for. */
  endpoint: string;
  /** CA certificates to trust for the gateway, besides the system's. */
  ca: Buffer | undefined;
  /** Give up after this long (the URL is then printed with a warning). */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Whether the gateway routes the service's public address yet, so that the first request to it
 * succeeds: an HTTP service's host answers the gateway's own `/.rustronaut/jwks.json` (404 until
 * the route arrives in its snapshot), a TCP service's public port accepts a connection; a UDP
 * service cannot be asked. Asked every 200 ms until yes or `timeoutMs`.
 */
export async function untilRouted(service: ExposedService, probe: RouteProbe): Promise<boolean> {
  const ask = askerFor(service, probe);
  if (!ask) return true;
  const deadline = Date.now() + probe.timeoutMs;
  for (;;) {
    if (await ask().catch(() => false)) return true;
    if (Date.now() >= deadline || probe.signal?.aborted) return false;
    await sleep(200, undefined, { signal: probe.signal }).catch(() => undefined);
  }
}

function askerFor(service: ExposedService, probe: RouteProbe): (() => Promise<boolean>) | undefined {
  if (service.protocol === 'http') {
    const url = new URL(service.public_url);
    const gateway = tunnelEndpoint(probe.endpoint);
    return () => gatewayPageAnswers(gateway, url, probe.ca);
  }
  const endpoint = publicEndpoint(service.public_url);
  if (service.protocol === 'tcp' && endpoint) return () => accepts(endpoint.host, endpoint.port);
  return undefined;
}

function gatewayPageAnswers(
  gateway: { host: string; port: number },
  url: URL,
  ca: Buffer | undefined,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: gateway.host,
        port: gateway.port,
        servername: url.hostname,
        path: '/.rustronaut/jwks.json',
        headers: { host: url.host, accept: 'application/json' },
        ...(ca ? { ca } : {}),
        timeout: 2000,
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}
