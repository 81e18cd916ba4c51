/**
 * WireGuard into a site, measured in network namespaces (as root; traffic stays in them):
 *
 * - iperf3 TCP throughput and ping RTT from a client namespace to a site target through our
 *   gateway (wireguard-go run and programmed by the gateway, its nftables policy, masquerade), beside
 *   a bare wireguard-go pair set up by hand between the same two namespaces, to another address of
 *   the same target host (same forwarding, a plain masquerade and no policy);
 * - the time from `rustronaut connect` (a new process) to the first answered request to a target;
 * - the gateway's programming: 1,000 peers applied to a running interface, then a one-peer change
 *   to the interface holding them (apply-peers.ts, in a namespace of its own).
 *
 *   npm run bench:wireguard [-- --reps 3 --seconds 10 --peers 1000 --json]
 *
 * Diagnostics: --diagnose prints each path's wireguard-go processes (session, cgroup, CPUs, env),
 * interfaces, routes and nftables, and the CPU each process used during each iperf3 run;
 * --client-foreground replaces our client's wireguard-go by one run as the bare pair's;
 * --filter-off replaces the gateway's nftables table by a bare masquerade.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ADMIN,
  ConsoleHarness,
  NetworkLab,
  call,
  gatewayInNamespaceArgs,
  login,
} from '@rustronaut/console-testing';
import { generateKeyPair } from '@rustronaut/wireguard';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    peers: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
    /** Diagnostic: measure our path with the gateway's nftables table replaced by a bare masquerade. */
    'filter-off': { type: 'boolean', default: false },
    /** Diagnostic: print how each path's wireguard-go processes and interfaces are set up. */
    diagnose: { type: 'boolean', default: false },
    /** Diagnostic: our client's wireguard-go replaced by one run in the foreground, as the bare pair's. */
    'client-foreground': { type: 'boolean', default: false },
  },
});
const REPS = Number(args.reps);
const SECONDS = Number(args.seconds);
const DIST = join(__dirname, '../../../dist/apps');
const results: Record<string, unknown>[] = [];
const report = (row: Record<string, unknown>) => {
  results.push(row);
  if (!args.json) console.log(JSON.stringify(row));
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main() {
  const lab = new NetworkLab();
  const platform = await ConsoleHarness.start(
    { RN_GATEWAY_HEARTBEAT_INTERVAL: '1' },
    { upWithinMs: 120_000 },
  );
  try {
    const admin = (await login(platform.url, ADMIN.email, ADMIN.password)).access;
    const api = (method: string, path: string, body?: unknown) =>
      call(platform.url, method, path, { token: admin, body });
    const client = lab.namespace('bc');
    const gw = lab.namespace('bg');
    const site = lab.namespace('bs');
    lab.link(client, '192.168.211.2/24', gw, '192.168.211.1/24');
    const [, siteSide] = lab.link(gw, '172.31.0.1/24', site, '172.31.0.10/24');
    lab.sh(site, `ip addr add 172.31.0.12/24 dev ${siteSide}`);
    lab.start(site, 'iperf3', ['-s', '-p', '5201']);
    lab.start(site, process.execPath, [
      '-e',
      "require('http').createServer((q,s)=>s.end('ok')).listen(8080)",
    ]);
    const hostApi = Number(new URL(platform.url).port);
    await lab.bridge(client, 7780, hostApi);
    await lab.bridge(gw, 7780, hostApi);
    await lab.bridge(gw, 7722, Number(new URL(platform.nats.url).port));

    const siteId = (
      await api('POST', '/sites', {
        name: 'bench',
        subnet: '10.211.0.0/24',
        region: 'eu',
        connection_type: 'wireguard',
      })
    ).body.id;
    const res = await api('POST', '/resources', {
      site_id: siteId,
      name: 'target',
      protocol: 'http',
      domains: ['target.bench'],
      targets: [
        { address: '172.31.0.10:5201', protocol: 'http' },
        { address: '172.31.0.10:8080', protocol: 'http' },
      ],
    });
    await api('POST', '/policies', {
      name: 'everyone',
      effect: 'allow',
      resource_ids: [res.body.id],
      subjects: { any_authenticated: true },
    });
    const gateway = await api('POST', '/gateways', {
      name: 'bench',
      region: 'eu',
      site_ids: [siteId],
      public_ip: '192.168.211.1',
    });
    const gwIf = lab.wireguardName('rnbg');
    const gatewayProcess = lab.start(
      gw,
      process.execPath,
      gatewayInNamespaceArgs({
        gateway: join(DIST, 'gateway/src/main.js'),
        ports: { api: 7780, nats: 7722 },
        dataDir: join(lab.dir, 'gw'),
        wireguardInterface: gwIf,
        enrollmentToken: gateway.body.enrollment_token,
      }),
    );
    for (let i = 0; (await api('GET', `/gateways/${gateway.body.id}`)).body.status !== 'healthy'; i++) {
      if (i > 300) throw new Error(`the gateway did not come up:\n${gatewayProcess.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // `rustronaut connect`, timed from its start to the first answered request (5 times).
    const env = { XDG_CONFIG_HOME: join(lab.dir, 'cli'), RN_PASSWORD: ADMIN.password };
    const cli = join(DIST, 'cli/src/main.js');
    const loggedIn = await lab.run(
      client,
      process.execPath,
      [cli, 'login', '--console', 'http://127.0.0.1:7780', '--email', ADMIN.email],
      env,
      120_000,
    );
    if (loggedIn.code !== 0) throw new Error(`rustronaut login failed: ${loggedIn.out} ${loggedIn.err}`);
    const connectTimes: number[] = [];
    let ifname = '';
    for (let i = 0; i < 5; i++) {
      const timer = `const {spawnSync}=require('child_process');const t=Date.now();const r=spawnSync(process.execPath,${JSON.stringify([cli, 'connect', 'bench', '--json'])},{encoding:'utf8'});if(r.status){console.log(JSON.stringify({error:r.stderr}));process.exit(1)}
        const done=()=>console.log(JSON.stringify({ms:Date.now()-t,connect:JSON.parse(r.stdout)}));
        (function probe(){fetch('http://172.31.0.10:8080/',{signal:AbortSignal.timeout(200)}).then(done,()=>setTimeout(probe,10))})()`;
      const r = await lab.run(client, process.execPath, ['-e', timer], env, 60_000);
      const row = JSON.parse(r.out.trim().split('\n').pop() ?? '{}') as {
        ms?: number;
        connect?: { interface: string };
        error?: string;
      };
      if (!row.ms) throw new Error(`connect failed: ${r.out} ${r.err}`);
      connectTimes.push(row.ms);
      ifname = row.connect?.interface ?? ifname;
      lab.ownsInterface(ifname);
      await lab.run(client, process.execPath, [cli, 'disconnect'], env);
    }
    await lab.run(client, process.execPath, [cli, 'connect', 'bench'], env);
    report({
      section: 'connect_to_first_answer',
      runs: connectTimes.length,
      median_ms: median(connectTimes),
      all_ms: connectTimes,
    });

    // The bare pair: wireguard-go by hand between the same namespaces, to 172.31.0.12.
    const [a, b] = [generateKeyPair(), generateKeyPair()];
    const bareC = lab.wireguardName('bwc');
    const bareG = lab.wireguardName('bwg');
    writeFileSync(join(lab.dir, 'a.key'), a.privateKey);
    writeFileSync(join(lab.dir, 'b.key'), b.privateKey);
    lab.start(client, 'wireguard-go', ['-f', bareC]);
    lab.start(gw, 'wireguard-go', ['-f', bareG]);
    await new Promise((r) => setTimeout(r, 1000));
    lab.sh(
      client,
      `wg set ${bareC} private-key ${join(lab.dir, 'a.key')} peer ${b.publicKey} allowed-ips 10.252.0.1/32,172.31.0.12/32 endpoint 192.168.211.1:51821 && ip addr add 10.252.0.2/32 dev ${bareC} && ip link set ${bareC} up && ip route add 10.252.0.1/32 dev ${bareC} && ip route add 172.31.0.12/32 dev ${bareC}`,
    );
    lab.sh(
      gw,
      `wg set ${bareG} private-key ${join(lab.dir, 'b.key')} listen-port 51821 peer ${a.publicKey} allowed-ips 10.252.0.2/32 && ip addr add 10.252.0.1/32 dev ${bareG} && ip link set ${bareG} up && ip route add 10.252.0.2/32 dev ${bareG}`,
    );
    lab.sh(
      gw,
      'nft -f -',
      'table ip bench_bare {\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n    ip saddr 10.252.0.2 masquerade\n  }\n}\n',
    );
    lab.sh(client, 'ping -c 3 -W 2 172.31.0.12 >/dev/null');

    if (args['filter-off'])
      lab.sh(
        gw,
        'nft -f -',
        `delete table inet rustronaut_${gwIf}\ntable ip bench_ours {\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n    ip saddr 10.211.0.0/24 masquerade\n  }\n}\n`,
      );
    if (args['client-foreground']) {
      const conf = join(lab.dir, 'ours-client.conf');
      const addresses = lab
        .sh(client, `ip -4 -o addr show dev ${ifname} | awk '{print $4}'`)
        .trim()
        .split('\n');
      const routes = lab.sh(client, `ip -4 route show dev ${ifname} | awk '{print $1}'`).trim().split('\n');
      writeFileSync(conf, lab.sh(client, `wg showconf ${ifname}`));
      lab.sh(client, `ip link del ${ifname}`);
      lab.start(client, 'wireguard-go', ['-f', ifname]);
      await new Promise((r) => setTimeout(r, 1000));
      lab.sh(
        client,
        [
          `wg setconf ${ifname} ${conf}`,
          ...addresses.map((a) => `ip addr add ${a} dev ${ifname}`),
          `ip link set ${ifname} up`,
          ...routes.map((r) => `ip route replace ${r} dev ${ifname}`),
        ].join(' && '),
      );
      lab.sh(client, 'ping -c 3 -W 2 172.31.0.10 >/dev/null');
    }
    const cpuOf = args.diagnose
      ? diagnose(lab, { client, gw }, [ifname, gwIf, bareC, bareG], gatewayProcess.pid)
      : undefined;
    const paths = [
      { target: 'rustronaut gateway', address: '172.31.0.10' },
      { target: 'bare wireguard-go pair', address: '172.31.0.12' },
    ];
    const gbps: Record<string, number[]> = {};
    const rtt: Record<string, number[]> = {};
    for (let rep = 1; rep <= REPS; rep++) {
      // Alternate which path goes first: on a busy machine the first of a pair is measured differently.
      for (const path of rep % 2 ? paths : [...paths].reverse()) {
        const cpuBefore = cpuOf?.();
        const r = await lab.run(
          client,
          'iperf3',
          ['-c', path.address, '-p', '5201', '-t', String(SECONDS), '-J'],
          {},
          (SECONDS + 30) * 1000,
        );
        const j = JSON.parse(r.out) as {
          end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits: number } };
        };
        const g = +(j.end.sum_received.bits_per_second / 1e9).toFixed(3);
        if (cpuOf && cpuBefore) {
          const after = cpuOf();
          report({
            section: 'diagnose_cpu',
            rep,
            target: path.target,
            cpu_ms: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (cpuBefore[k] ?? 0)])),
          });
        }
        (gbps[path.target] ??= []).push(g);
        const p = await lab.run(
          client,
          'ping',
          ['-c', '200', '-i', '0.01', '-W', '1', path.address],
          {},
          30_000,
        );
        const times = [...p.out.matchAll(/time=([0-9.]+) ms/g)]
          .map((m) => Number(m[1]) * 1000)
          .sort((x, y) => x - y);
        const p50 = Math.round(times[Math.floor(times.length / 2)] ?? NaN);
        (rtt[path.target] ??= []).push(p50);
        report({
          section: 'data_path',
          rep,
          target: path.target,
          gbps: g,
          retransmits: j.end.sum_sent.retransmits,
          ping_p50_us: p50,
          ping_p99_us: Math.round(times[Math.floor(times.length * 0.99)] ?? NaN),
          pings: times.length,
        });
      }
    }
    const ours = median(gbps['rustronaut gateway'] ?? []);
    const bare = median(gbps['bare wireguard-go pair'] ?? []);
    // Each rep measures the two paths back to back: their ratio is the least disturbed by a load
    // that changes over the run.
    const paired = (gbps['rustronaut gateway'] ?? []).map(
      (g, i) => g / (gbps['bare wireguard-go pair']?.[i] ?? NaN),
    );
    report({
      section: 'data_path_summary',
      ours_gbps: ours,
      bare_gbps: bare,
      ratio: +(ours / bare).toFixed(3),
      paired_ratio_median: +median(paired).toFixed(3),
      paired_ratios: paired.map((r) => +r.toFixed(3)),
      ours_ping_p50_us: median(rtt['rustronaut gateway'] ?? []),
      bare_ping_p50_us: median(rtt['bare wireguard-go pair'] ?? []),
    });

    // Programming 1,000 peers, in a namespace of its own.
    const applyNs = lab.namespace('ba');
    const applyIf = lab.wireguardName('rnba');
    const applied = await lab.run(
      applyNs,
      'npx',
      ['tsx', join(__dirname, 'apply-peers.ts'), args.peers, applyIf],
      {},
      120_000,
    );
    report({
      section: 'apply_peers',
      ...(JSON.parse(applied.out.trim().split('\n').pop() ?? '{}') as object),
    });
  } finally {
    lab.cleanup();
    await platform.stop();
  }
  if (args.json) console.log(JSON.stringify(results, null, 2));
}

/** How each path's wireguard-go processes run and what their interfaces look like, side by side. */
function diagnose(
  lab: NetworkLab,
  ns: { client: string; gw: string },
  ifnames: string[],
  gatewayPid: number | undefined,
): () => Record<string, number> {
  const pids: Record<string, string> = {};
  const sh = (n: string, c: string) => {
    try {
      return lab.sh(n, c).trim();
    } catch (error) {
      return `(${(error as Error).message.split('\n')[0]})`;
    }
  };
  for (const ifname of ifnames) {
    const pid = sh(ns.client, `pgrep -f 'wireguard-go.* ${ifname}$' | head -1`);
    const proc = (f: string) => sh(ns.client, `cat /proc/${pid}/${f} 2>/dev/null`);
    const stat = proc('stat').split(' ');
    pids[`wg ${ifname}`] = pid;
    console.log(
      JSON.stringify({
        section: 'diagnose',
        ifname,
        pid,
        cmdline: proc('cmdline').replaceAll('\0', ' '),
        nice: stat[18],
        threads: stat[19],
        ppid: stat[3],
        cgroup: proc('cgroup'),
        cpus: sh(ns.client, `grep Cpus_allowed_list /proc/${pid}/status`),
        env: proc('environ')
          .split('\0')
          .filter((e) => /^(GO|WG_|LOG_|UV_|NODE_)/.test(e)),
        link: sh(ns.client, `ip -d link show ${ifname}`) + sh(ns.gw, `ip -d link show ${ifname}`),
        qdisc: sh(ns.client, `tc qdisc show dev ${ifname}`) + sh(ns.gw, `tc qdisc show dev ${ifname}`),
      }),
    );
  }
  for (const n of [ns.client, ns.gw])
    console.log(
      JSON.stringify({
        section: 'diagnose',
        ns: n,
        routes: sh(n, 'ip route'),
        nft: sh(n, 'nft list ruleset'),
        wg: sh(n, 'wg show all'),
        sysctl: sh(n, 'sysctl net.core.rmem_max net.core.wmem_max net.ipv4.ip_forward'),
      }),
    );
  // The gateway's own process (ip netns exec execs it: same pid) and its children.
  if (gatewayPid) pids['gateway node'] = String(gatewayPid);
  const ticks = () => {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const stat = sh(ns.client, `cat /proc/${pid}/stat 2>/dev/null`).split(') ')[1]?.split(' ') ?? [];
      out[name] = (Number(stat[11]) + Number(stat[12])) * 10; // utime + stime, 100 Hz ticks → ms
    }
    out['all cpus busy'] =
      sh(ns.client, "head -1 /proc/stat | awk '{print $2+$3+$4+$7+$8}'").length > 0
        ? Number(sh(ns.client, "head -1 /proc/stat | awk '{print $2+$3+$4+$7+$8}'")) * 10
        : NaN;
    out['softirq'] = Number(sh(ns.client, "head -1 /proc/stat | awk '{print $8}'")) * 10;
    return out;
  };
  return ticks;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
