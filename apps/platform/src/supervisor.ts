import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** Preloaded into every child: it stops itself when this process is gone (see the file). */
const PARENT_WATCH = join(__dirname, 'parent-watch.cjs');

export interface ServiceSpec {
  name: string;
  /** The compiled entry point, run with the same Node.js. */
  entry: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Node.js options for its process (before the entry point). */
  nodeOptions?: string[];
  /**
   * Stack traces that name the TypeScript sources (--enable-source-maps; the default). Node.js then
   * reads and keeps the source map of every module the process loads: 2-3 MB in the gateway.
   */
  sourceMaps?: boolean;
}

export interface SupervisorEvents {
  started(name: string, pid: number): void;
  crashed(name: string, code: number | null, signal: NodeJS.Signals | null, restartInMs: number): void;
  output(name: string, line: string): void;
}

/**
 * Runs each service as its own process and restarts one that exits unexpectedly, with a backoff
 * that grows while it keeps crashing (0.5 s up to 30 s) and resets once it has stayed up 30 s.
 * `stop()` sends SIGTERM to all, and SIGKILL to any still running after the grace period; once
 * stopping, nothing more is started (a service added or due for restart meanwhile is not). No child
 * outlives this process: each (and each process it forks with the same Node.js options, such as the
 * gateway's workers) stops itself when this one is gone, even by SIGKILL (parent-watch.cjs).
 */
export class Supervisor {
  readonly #children = new Map<string, ChildProcess>();
  readonly #failures = new Map<string, number>();
  #stopping = false;

  constructor(
    private readonly services: ServiceSpec[],
    private readonly events: SupervisorEvents,
  ) {}

  start(): void {
    for (const service of this.services) this.#spawn(service);
  }

  /** Runs one more service under supervision. */
  add(service: ServiceSpec): void {
    if (this.#stopping) return;
    this.services.push(service);
    this.#spawn(service);
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.#children].map(([name, child]) => [name, child.pid]));
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    const exits = [...this.#children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
  }

  #spawn(service: ServiceSpec): void {
    if (this.#stopping) return;
    const startedAt = Date.now();
    const child = spawn(
      process.execPath,
      [
        ...(service.sourceMaps === false ? [] : ['--enable-source-maps']),
        '--require',
        PARENT_WATCH,
        ...(service.nodeOptions ?? []),
        service.entry,
        ...(service.args ?? []),
      ],
      {
        env: {
          ...process.env,
          ...service.env,
          RN_SERVICE_NAME: service.name,
          RN_PARENT_PID: String(process.pid),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.#children.set(service.name, child);
    if (child.pid) this.events.started(service.name, child.pid);
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          this.events.output(service.name, buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
      });
    }
    child.once('exit', (code, signal) => {
      if (this.#stopping) return;
      const failures = Date.now() - startedAt > 30_000 ? 1 : (this.#failures.get(service.name) ?? 0) + 1;
      this.#failures.set(service.name, failures);
      const delay = Math.min(30_000, 500 * 2 ** (failures - 1));
      this.events.crashed(service.name, code, signal, delay);
      setTimeout(() => {
        if (!this.#stopping) this.#spawn(service);
      }, delay).unref();
    });
  }
}
