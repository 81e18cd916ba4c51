import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Network namespaces of one test, joined by veth pairs, and cleaned after: every process left in
 * them is stopped (by the PIDs the namespace lists — ours only), then the namespaces are deleted.
 * The console runs outside, on loopback: a namespace reaches one of its TCP ports through a bridge
 * over a unix socket (sockets on the file system cross namespaces; the host's network is untouched).
 */
export class NetworkLab {
  readonly id = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'rn-netlab-'));
  readonly #namespaces: string[] = [];
  readonly #children: ChildProcess[] = [];
  readonly #servers: Server[] = [];
  readonly #interfaces = new Set<string>();
  #veths = 0;

  /**
   * A WireGuard interface name unique to this lab (its UAPI socket lives in one directory for all
   * namespaces), whose socket is removed at cleanup; `prefix` at most 6 characters.
   */
  wireguardName(prefix: string): string {
    const name = `${prefix.slice(0, 6)}${this.id}`;
    this.#interfaces.add(name);
    return name;
  }

  /** Also removes the UAPI socket of an interface named elsewhere (`rustronaut connect`'s). */
  ownsInterface(name: string): void {
    this.#interfaces.add(name);
  }

  /** A namespace with its loopback up. */
  namespace(role: string): string {
    const ns = `rn${role}-${this.id}`;
    execFileSync('ip', ['netns', 'add', ns]);
    this.#namespaces.push(ns);
    this.sh(ns, 'ip link set lo up');
    return ns;
  }

  /** A veth pair between two namespaces with an address (CIDR) on each end; answers the names. */
  link(a: string, addressA: string, b: string, addressB: string): [string, string] {
    const n = this.#veths++;
    const left = `v${this.id}${n}a`;
    const right = `v${this.id}${n}b`;
    execFileSync('ip', ['link', 'add', left, 'netns', a, 'type', 'veth', 'peer', 'name', right, 'netns', b]);
    this.sh(a, `ip addr add ${addressA} dev ${left} && ip link set ${left} up`);
    this.sh(b, `ip addr add ${addressB} dev ${right} && ip link set ${right} up`);
    return [left, right];
  }

  /** Runs a shell command in a namespace (synchronously); its stdout. */
  sh(ns: string, command: string, input?: string): string {
    return execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', command], {
      ...(input === undefined ? {} : { input }),
      stdio: ['pipe', 'pipe', 'pipe'],
    }).toString();
  }

  /** The same, without blocking the test's event loop. */
  run(
    ns: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
    timeoutMs = 30_000,
  ): Promise<{ code: number; out: string; err: string }> {
    return new Promise((resolve) => {
      execFile(
        'ip',
        ['netns', 'exec', ns, command, ...args],
        { env: { ...process.env, ...env }, timeout: timeoutMs },
        (error, out, err) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });
  }

  /** A long-running process in a namespace (stopped at cleanup). */
  start(
    ns: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): ChildProcess & { log: () => string } {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    this.#children.push(child);
    return Object.assign(child, { log: () => log });
  }

  /**
   * Makes 127.0.0.1:`port` inside `ns` reach 127.0.0.1:`hostPort` of the test's own network
   * namespace, through a unix socket.
   */
  async bridge(ns: string, port: number, hostPort: number): Promise<void> {
    const path = join(this.dir, `bridge-${ns}-${port}.sock`);
    const server = createServer((inbound) => {
      const outbound = connect(hostPort, '127.0.0.1');
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    this.#servers.push(server);
    const code = `const net=require('net');net.createServer(s=>{const u=net.connect(${JSON.stringify(path)});s.pipe(u).pipe(s);s.on('error',()=>u.destroy());u.on('error',()=>s.destroy())}).listen(${port},'127.0.0.1',()=>console.log('ready'))`;
    const child = this.start(ns, process.execPath, ['-e', code]);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (c) => reject(new Error(`bridge in ${ns} exited ${c}: ${child.log()}`)));
    });
  }

  /** Stops the host-side bridges (the console becomes unreachable from the namespaces). */
  closeBridges(): void {
    for (const server of this.#servers.splice(0)) server.close();
  }

  /** An HTTP GET from inside a namespace: the status, or 0 when nothing answered in time. */
  async httpGet(ns: string, url: string, timeoutMs = 1500): Promise<number> {
    const code = `fetch(${JSON.stringify(url)},{signal:AbortSignal.timeout(${timeoutMs})}).then(r=>console.log(r.status),()=>console.log(0))`;
    const r = await this.run(ns, process.execPath, ['-e', code], {}, timeoutMs + 5_000);
    return Number(r.out.trim() || 0);
  }

  cleanup(): void {
    this.closeBridges();
    for (const child of this.#children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const ns of this.#namespaces) {
      let pids: string[] = [];
      try {
        pids = execFileSync('ip', ['netns', 'pids', ns]).toString().split(/\s+/).filter(Boolean);
      } catch {
        pids = [];
      }
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      try {
        execFileSync('ip', ['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    for (const name of this.#interfaces) rmSync(`/var/run/wireguard/${name}.sock`, { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The built gateway's arguments inside a namespace of a NetworkLab: the console and NATS through
 * the lab's bridges, its own ports (a namespace has them all), WireGuard on `wireguardInterface`.
 */
export function gatewayInNamespaceArgs(options: {
  gateway: string;
  ports: { api: number; nats: number };
  dataDir: string;
  wireguardInterface: string;
  enrollmentToken?: string | undefined;
}): string[] {
  return [
    options.gateway,
    '--console',
    `http://127.0.0.1:${options.ports.api}`,
    '--nats',
    `nats://127.0.0.1:${options.ports.nats}`,
    '--data-dir',
    options.dataDir,
    '--management-port',
    '9090',
    '--http-port',
    '8080',
    '--https-port',
    '8443',
    '--wireguard-interface',
    options.wireguardInterface,
    ...(options.enrollmentToken ? ['--enroll', options.enrollmentToken] : []),
  ];
}
