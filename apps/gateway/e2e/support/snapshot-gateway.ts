import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signSnapshot, type SiteSnapshot } from '@rustronaut/contracts';
import { freePort } from '@rustronaut/testing';

const GATEWAY = join(__dirname, '../../../../dist/apps/gateway/src/main.js');

/** What a recording target saw of one request. */
export interface Recorded {
  target: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
}

/**
 * A target that answers every request with its own name and remembers what reached it: the
 * method, the request-target and every header exactly as they arrived.
 */
export class RecordingTarget {
  readonly seen: Recorded[] = [];
  private constructor(
    readonly name: string,
    private readonly server: Server,
  ) {}

  static async start(name: string): Promise<RecordingTarget> {
    const server = createServer();
    const target = new RecordingTarget(name, server);
    // As many headers as anyone sends: the target must see what the gateway passed, not a shortened list.
    server.maxHeadersCount = 0;
    server.on('request', (req, res) => {
      target.seen.push({
        target: name,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
      });
      req.resume();
      res.writeHead(200, { 'x-answered-by': name, 'content-type': 'text/plain' }).end(name);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return target;
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What reached this target carrying the probe header value `probe`. */
  withProbe(probe: string): Recorded[] {
    return this.seen.filter((r) => r.headers['x-probe'] === probe);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The console's side, played by the test: the keys that sign snapshots and access tokens. */
export class TestConsole {
  readonly configKey = generateKeyPairSync('ed25519');
  readonly tokenKey = generateKeyPairSync('ed25519');
  readonly tokenKid = `k_${randomUUID().slice(0, 8)}`;

  get jwks(): Record<string, unknown>[] {
    return [
      { ...this.tokenKey.publicKey.export({ format: 'jwk' }), kid: this.tokenKid, alg: 'EdDSA', use: 'sig' },
    ];
  }

  /** A console access token for a user of `org`, valid for 10 minutes. */
  accessToken(userId: string, org: string, email = `${userId}@example.com`): string {
    const now = Math.floor(Date.now() / 1000);
    return jwt(
      { alg: 'EdDSA', typ: 'JWT', kid: this.tokenKid },
      {
        iss: 'rustronaut',
        aud: 'rustronaut',
        sub: userId,
        typ: 'access',
        sid: `ses_${userId}`,
        org,
        email,
        role: 'member',
        iat: now,
        exp: now + 600,
      },
      this.tokenKey.privateKey,
    );
  }
}

function jwt(header: object, payload: object, key: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/**
 * A gateway started from dist/ as its own process, serving one site from a signed snapshot written
 * to its data directory, with no console and no NATS (it serves from disk, as after a restart while
 * the console is away). The data path is real: its HTTP and HTTPS ports, its admission, its targets.
 */
export class SnapshotGateway {
  private output = '';

  private constructor(
    readonly child: ChildProcess,
    readonly httpPort: number,
    readonly httpsPort: number,
    readonly dataDir: string,
  ) {
    child.stdout?.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.output += c.toString()));
  }

  get log(): string {
    return this.output;
  }

  static async start(
    console: TestConsole,
    snapshot: SiteSnapshot,
    env: Record<string, string> = {},
  ): Promise<SnapshotGateway> {
    const dataDir = mkdtempSync(join(tmpdir(), 'rn-gateway-'));
    const keyId = 'cfg_test';
    writeFileSync(
      join(dataDir, 'config-keys.json'),
      JSON.stringify({ [keyId]: console.configKey.publicKey.export({ type: 'spki', format: 'pem' }) }),
    );
    mkdirSync(join(dataDir, 'sites'));
    writeFileSync(
      join(dataDir, 'sites', `${snapshot.siteId}.json`),
      JSON.stringify(signSnapshot(snapshot, { id: keyId, privateKey: console.configKey.privateKey })),
    );
    const [httpPort, httpsPort, managementPort, nowhere] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const child = spawn(
      process.execPath,
      [
        GATEWAY,
        '--sites',
        snapshot.siteId,
        '--nats',
        `nats://127.0.0.1:${nowhere}`,
        '--console',
        `http://127.0.0.1:${nowhere}`,
        '--data-dir',
        dataDir,
        '--management-port',
        String(managementPort),
        '--http-port',
        String(httpPort),
        '--https-port',
        String(httpsPort),
        '--gateway-id',
        'gw_hostile',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RN_GATEWAY_HTTP_HOST: '127.0.0.1', RN_GATEWAY_ACCESS_LOG: 'off', ...env },
      },
    );
    const gateway = new SnapshotGateway(child, httpPort, httpsPort, dataDir);
    await gateway.untilListening();
    return gateway;
  }

  private async untilListening(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const status = await new Promise<number>((resolve) => {
        const req = request(
          { host: '127.0.0.1', port: this.httpPort, path: '/', headers: { host: 'probe.invalid' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', () => resolve(0));
        req.end();
      });
      if (status === 404) return;
      if (this.child.exitCode !== null) throw new Error(`the gateway exited:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`the gateway did not listen:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
