/**
 * Run inside a network namespace of its own (wireguard.bench.ts does): the gateway's WireGuard
 * programming (wireguard-gateway.ts, the code the gateway runs) applying N devices from a
 * snapshot to a running interface (one peer before), then a one-device change to the interface holding them.
 * Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { SiteSnapshot } from '@rustronaut/contracts';
import { createLogger } from '@rustronaut/observability';
import { generateKeyPair, uapiDevice } from '@rustronaut/wireguard';
import type { SiteConfigs } from '../../../apps/gateway/src/control/site-configs';
import { WireGuardGateway } from '../../../apps/gateway/src/wireguard/wireguard-gateway';

const N = Number(process.argv[2] ?? 1000);
const ifname = process.argv[3] ?? 'rnbench0';

function snapshot(devices: NonNullable<SiteSnapshot['devices']>): SiteSnapshot {
  return {
    format: 1,
    siteId: 'st_bench',
    orgId: 'org_bench',
    revision: 1,
    issuedAt: new Date().toISOString(),
    site: { name: 'bench', subnet: '10.210.0.0/16', region: 'eu', connectionType: 'wireguard' },
    resources: [
      {
        id: 'res_db',
        siteId: 'st_bench',
        name: 'db',
        protocol: 'tcp',
        domains: ['db.bench'],
        targets: [{ id: 'tgt_1', address: '172.31.0.10:5432', protocol: 'tcp' }],
      } as unknown as SiteSnapshot['resources'][number],
    ],
    policies: [
      {
        id: 'pol_all',
        name: 'all',
        effect: 'allow',
        resourceIds: [],
        subjects: { users: [], groups: [], roles: [], anyAuthenticated: true },
        conditions: { sourceCidrs: [], countries: [], paths: [], methods: [], timeWindows: [] },
      },
    ],
    groups: {},
    jwks: [],
    devices,
  };
}

async function main() {
  const devices = Array.from({ length: N }, (_, i) => ({
    id: `dev_${i}`,
    name: `d${i}`,
    publicKey: generateKeyPair().publicKey,
    address: `10.210.${(i + 2) >> 8}.${(i + 2) & 255}`,
    userId: `usr_${i}`,
    role: 'member' as const,
  }));
  let current = snapshot(devices.slice(0, 1));
  const listeners: (() => void)[] = [];
  const configs = {
    all: () => new Map([['st_bench', { snapshot: current, appliedAt: new Date() }]]),
    onChanged: (listener: () => void) => listeners.push(listener),
  } as unknown as SiteConfigs;
  const dataDir = mkdtempSync(join(tmpdir(), 'rn-wgbench-'));
  const sut = new WireGuardGateway(
    { ifname, listenPort: 51999, dataDir, reevaluateMs: 3_600_000 },
    configs,
    createLogger('bench', 'warn'),
    new Registry(),
  );
  let t = process.hrtime.bigint();
  await sut.start(); // the interface comes up with the first device
  const startMs = Number(process.hrtime.bigint() - t) / 1e6;
  current = snapshot(devices);
  t = process.hrtime.bigint();
  sut.schedule('bench');
  await sut.settled();
  const fullMs = Number(process.hrtime.bigint() - t) / 1e6;
  const before = await uapiDevice(ifname).get();
  // One device changes (a new one replaces device 500): only that peer is touched.
  const replaced = devices[500]!;
  current = snapshot([
    ...devices.slice(0, 500),
    { ...replaced, id: 'dev_new', publicKey: generateKeyPair().publicKey },
    ...devices.slice(501),
  ]);
  t = process.hrtime.bigint();
  sut.schedule('bench');
  await sut.settled();
  const oneMs = Number(process.hrtime.bigint() - t) / 1e6;
  const after = await uapiDevice(ifname).get();
  const untouched = after.peers.filter((p) => before.peers.some((b) => b.publicKey === p.publicKey)).length;
  // Nothing changed: a pass that finds nothing to do.
  t = process.hrtime.bigint();
  sut.schedule('bench');
  await sut.settled();
  const noopMs = Number(process.hrtime.bigint() - t) / 1e6;
  await sut.stop();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      peers: N,
      interface_up_ms: +startMs.toFixed(1),
      apply_all_ms: +fullMs.toFixed(1),
      one_change_ms: +oneMs.toFixed(1),
      no_change_ms: +noopMs.toFixed(1),
      peers_after: after.peers.length,
      untouched,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
