import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadCliConfig } from '@rustronaut/config';
import { CommandContext } from './context';
import type { Credentials } from './credentials';
import { CliErrorCode } from './errors';
import { gatewayTrust } from './gateway-trust';

const CA_ONE = {
  pem: '-----BEGIN CERTIFICATE-----\nONE\n-----END CERTIFICATE-----\n',
  sha256: '11:'.repeat(31) + '11',
};
const CA_TWO = {
  pem: '-----BEGIN CERTIFICATE-----\nTWO\n-----END CERTIFICATE-----\n',
  sha256: '22:'.repeat(31) + '22',
};

/**
 * Which CA `expose`, `forward` and `connector` trust for the gateways, against a real HTTP server
 * playing the console's GET /api/v1/edge: the one pinned at login, never silently another.
 */
describe('the gateways’ CA pinned at login', () => {
  let server: Server;
  let url: string;
  let edgeCa: typeof CA_ONE | null;
  let home: string;
  let stderr: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/api/v1/edge') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          tunnel_endpoint: 'localhost:8443',
          base_domain: 'localhost',
          https_port: 8443,
          development_ca: edgeCa,
        }),
      );
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'rn-cli-trust-'));
    stderr = '';
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const context = (stored: Partial<Credentials>) => {
    const err = new PassThrough();
    err.on('data', (c: Buffer) => (stderr += c.toString()));
    const ctx = new CommandContext(
      {
        stdout: new PassThrough(),
        stderr: err,
        stdin: new PassThrough(),
        env: {},
        interrupted: () => new Promise(() => undefined),
      },
      loadCliConfig({ XDG_CONFIG_HOME: home }),
      false,
    );
    ctx.store.save({ console_url: url, auth: { kind: 'api_key', api_key: 'rnk_k' }, ...stored });
    return ctx;
  };
  const pinned = (ca: typeof CA_ONE | null) => ({
    edge: { tunnel_endpoint: 'localhost:8443', development_ca: ca },
  });

  it('trusts the CA pinned at login while the console still names it', async () => {
    edgeCa = CA_ONE;
    const ctx = context(pinned(CA_ONE));
    const trust = await gatewayTrust(ctx, ctx.client(), undefined);
    expect(trust.ca?.toString()).toBe(CA_ONE.pem);
    expect(trust.edge.tunnel_endpoint).toBe('localhost:8443');
    expect(trust.untrustedHint).toMatch(/pinned at login \(sha256 11:11:11:11…11:11\)/);
  });

  it('refuses, naming both fingerprints, when the console names another CA than the pinned one', async () => {
    edgeCa = CA_TWO;
    const ctx = context(pinned(CA_ONE));
    const error = await gatewayTrust(ctx, ctx.client(), undefined).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: CliErrorCode.GatewayCaChanged,
      exitCode: 1,
      message: `the gateways' development CA at ${url} changed since you logged in: pinned sha256 ${CA_ONE.sha256}, the console now names sha256 ${CA_TWO.sha256}`,
      hint: expect.stringMatching(/log in again to pin the new CA/),
    });
  });

  it('refuses a CA the console did not name at login, and keeps the pinned one when it names none now', async () => {
    edgeCa = CA_ONE;
    const none = context(pinned(null));
    await expect(gatewayTrust(none, none.client(), undefined)).rejects.toMatchObject({
      code: CliErrorCode.GatewayCaChanged,
      message: expect.stringMatching(/pinned none, the console now names sha256 11:/),
    });
    edgeCa = null;
    const ctx = context(pinned(CA_ONE));
    expect((await gatewayTrust(ctx, ctx.client(), undefined)).ca?.toString()).toBe(CA_ONE.pem);
    const nothing = context(pinned(null));
    expect((await gatewayTrust(nothing, nothing.client(), undefined)).ca).toBeUndefined();
  });

  it('takes --ca (or RN_CA_FILE) over the pinned CA, without asking the console to agree', async () => {
    edgeCa = CA_TWO;
    const ctx = context(pinned(CA_ONE));
    const file = join(home, 'other-ca.pem');
    writeFileSync(file, 'OTHER PEM');
    const trust = await gatewayTrust(ctx, ctx.client(), file);
    expect(trust.ca?.toString()).toBe('OTHER PEM');
    expect(trust.untrustedHint).toContain(file);
  });

  it('pins the console’s CA for credentials stored before pinning existed, in the 0600 file', async () => {
    edgeCa = CA_ONE;
    const ctx = context({});
    const trust = await gatewayTrust(ctx, ctx.client(), undefined);
    expect(trust.ca?.toString()).toBe(CA_ONE.pem);
    const file = join(home, 'rustronaut', 'credentials.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).edge).toEqual(pinned(CA_ONE).edge);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(stderr).toMatch(/development CA pinned \(sha256 11:11:11:11…11:11\)/);
  });
});
