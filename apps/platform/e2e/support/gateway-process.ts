import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConsoleHarness } from '@rustronaut/console-testing';
import { freePort } from '@rustronaut/testing';

const GATEWAY = join(__dirname, '../../../../dist/apps/gateway/src/main.js');

/** What the gateway's /status says about one resource's targets. */
export interface BalancingStatus {
  resource_id: string;
  usable: number;
  targets: { id: string; address: string; state: string; in_flight: number }[];
}

export interface GatewayStatus {
  sites: { revision: number; resources: string[] }[];
  balancing?: BalancingStatus[];
  listeners?: {
    resource_id: string;
    protocol: string;
    port: number;
    state: string;
    /** Who the port admits: public, by_policy (sources a policy opens it to) or closed. */
    access?: 'public' | 'by_policy' | 'closed';
    error?: string;
    active: number;
  }[];
}

/** A gateway started from dist/ as its own process, serving one site of a running console. */
export class GatewayProcess {
  private output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly httpPort: number,
    readonly httpsPort: number,
    readonly managementPort: number,
    readonly dataDir: string,
    private readonly admin: string,
  ) {
    child.stdout?.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.output += c.toString()));
    // A gateway that dies on its own is a finding: its log goes to the test output.
    child.once('exit', (code, signal) => {
      if (!this.stopping && code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT')
        process.stderr.write(`gateway exited unexpectedly (${code ?? signal}):\n${this.output}\n`);
    });
  }

  private stopping = false;

  static async start(
    platform: ConsoleHarness,
    admin: string,
    siteId: string,
    env: Record<string, string> = {},
    options: { httpPort?: number; httpsPort?: number; managementPort?: number; dataDir?: string } = {},
  ): Promise<GatewayProcess> {
    const httpPort = options.httpPort ?? (await freePort());
    // Chosen by the caller when the console must know it first (the tunnel endpoint of exposed services).
    const httpsPort = options.httpsPort ?? (await freePort());
    const managementPort = options.managementPort ?? (await freePort());
    // A restarted gateway is given its data directory again (identity, keys, snapshots on disk).
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rn-gateway-'));
    const child = spawn(
      process.execPath,
      [
        GATEWAY,
        '--sites',
        siteId,
        '--nats',
        platform.nats.url,
        '--console',
        platform.url,
        '--data-dir',
        dataDir,
        '--management-port',
        String(managementPort),
        '--http-port',
        String(httpPort),
        '--https-port',
        String(httpsPort),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RN_GATEWAY_HTTP_HOST: '127.0.0.1', ...env },
      },
    );
    return new GatewayProcess(child, httpPort, httpsPort, managementPort, dataDir, admin);
  }

  /** Everything the gateway logged so far. */
  get log(): string {
    return this.output;
  }

  async status(): Promise<GatewayStatus | undefined> {
    const r = await fetch(`http://127.0.0.1:${this.managementPort}/status`, {
      headers: { authorization: `Bearer ${this.admin}` },
    }).catch(() => undefined);
    return r?.ok ? ((await r.json()) as GatewayStatus) : undefined;
  }

  /** Waits until /status satisfies `ready` (e.g. a resource is in the snapshot). */
  async until(
    ready: (status: GatewayStatus) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<GatewayStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status();
      if (status && ready(status)) return status;
      if (this.child.exitCode !== null)
        throw new Error(`the gateway exited (${this.child.exitCode}):\n${this.output}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops it as an operator would (SIGTERM, draining) and waits; its data directory stays. */
  async terminate(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }

  stop(): void {
    this.stopping = true;
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The targets of a resource in the gateway's /status. */
export function targetsOf(status: GatewayStatus, resourceId: string): BalancingStatus | undefined {
  return status.balancing?.find((b) => b.resource_id === resourceId);
}

/** What a client got back through the gateway. */
export interface Reply {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

/**
 * A request through the gateway with a given Host header, as a browser or curl would send it;
 * `from` binds a loopback source address (127.0.0.2, 127.0.0.3, …: Linux routes all of 127/8 to lo).
 */
export function through(
  port: number,
  host: string,
  path: string,
  options: {
    headers?: Record<string, string | string[]>;
    body?: Buffer;
    method?: string;
    /** false: a connection of its own; an Agent: that agent's (keep-alive) connections. */
    agent?: Agent | false;
    token?: string;
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
        headers: {
          host,
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.headers ?? {}),
        },
        ...(options.agent !== undefined || options.from
          ? { agent: options.from ? false : options.agent }
          : {}),
        ...(options.from ? { localAddress: options.from } : {}),
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

/** Waits until the gateway's snapshot holds every one of these resources. */
export function untilServes(gateway: GatewayProcess, resourceIds: string[]): Promise<GatewayStatus> {
  return gateway.until(
    (status) => resourceIds.every((id) => status.sites[0]?.resources.includes(id)),
    `the snapshot with ${resourceIds.join(', ')}`,
  );
}
