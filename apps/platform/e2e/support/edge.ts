import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@rustronaut/testing';

const GATEWAY = join(__dirname, '../../../../dist/apps/gateway/src/main.js');

export interface Reply {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

/**
 * A request through the gateway with a given Host header, from a chosen loopback source address
 * (127.0.0.2, 127.0.0.3, …: Linux routes the whole 127/8 to lo), as a browser or curl would send it.
 */
export function through(
  port: number,
  host: string,
  path: string,
  options: {
    token?: string;
    headers?: Record<string, string | string[]>;
    body?: Buffer;
    method?: string;
    from?: string;
  } = {},
): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        localAddress: options.from,
        agent: false,
        headers: {
          host,
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.headers ?? {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface GatewayProcess {
  httpPort: number;
  managementPort: number;
  process: ChildProcess;
  stop(): void;
}

/**
 * A gateway started as a process for the given sites, ready once its management API lists every
 * resource in `ready` (so the snapshot holding them has arrived).
 */
export async function startGateway(options: {
  siteId: string;
  natsUrl: string;
  consoleUrl: string;
  adminToken: string;
  ready: string[];
  env?: Record<string, string>;
}): Promise<GatewayProcess> {
  const httpPort = await freePort();
  const managementPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'rn-edge-'));
  const child = spawn(
    process.execPath,
    [
      GATEWAY,
      '--sites',
      options.siteId,
      '--nats',
      options.natsUrl,
      '--console',
      options.consoleUrl,
      '--data-dir',
      dataDir,
      '--management-port',
      String(managementPort),
      '--http-port',
      String(httpPort),
      '--https-port',
      String(await freePort()),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...(options.env ?? {}) } },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}): ${stderr}`);
    const r = await fetch(`http://127.0.0.1:${managementPort}/status`, {
      headers: { authorization: `Bearer ${options.adminToken}` },
    }).catch(() => undefined);
    const status = r?.ok ? ((await r.json()) as { sites: { resources: string[] }[] }) : undefined;
    if (options.ready.every((id) => status?.sites[0]?.resources.includes(id))) break;
    if (Date.now() > deadline) {
      stop();
      throw new Error(`the gateway did not get its snapshot: ${stderr}`);
    }
    await new Promise((r2) => setTimeout(r2, 100));
  }
  return { httpPort, managementPort, process: child, stop };
}
