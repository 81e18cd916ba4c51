import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Logger } from '@rustronaut/observability';
import { netAddress, type TargetState } from './target-state';

interface Check {
  state: TargetState;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The active health checks: one timer per target that has a `healthCheck`, all owned here. `sync`
 * is called with the targets of every new snapshot: new targets start being checked, removed or
 * changed ones stop (no timer outlives its target), unchanged ones keep their rhythm and counts.
 * A check is an HTTP GET of the path (2xx/3xx is healthy) or a TCP connect, within `timeoutS`;
 * `healthyThreshold` passes in a row bring a target back, `unhealthyThreshold` failures take it out.
 */
export class HealthMonitor {
  readonly #checks = new Map<string, Check>();
  readonly #resultListeners: ((state: TargetState, changed: boolean) => void)[] = [];
  #stopped = false;

  constructor(private readonly logger?: Logger) {}

  get size(): number {
    return this.#checks.size;
  }

  sync(states: Iterable<TargetState>): void {
    const wanted = new Map<string, TargetState>();
    for (const state of states) if (state.healthCheck) wanted.set(state.id, state);
    for (const [id, check] of this.#checks) {
      if (wanted.get(id) !== check.state) {
        clearTimeout(check.timer);
        this.#checks.delete(id);
      }
    }
    if (this.#stopped) return;
    for (const [id, state] of wanted) {
      if (this.#checks.has(id)) continue;
      const check: Check = { state, timer: undefined };
      this.#checks.set(id, check);
      this.#schedule(check, 0);
    }
  }

  /**
   * Called after each check of a target (its state updated; `changed` when it turned healthy or
   * unhealthy), e.g. to share it with other workers.
   */
  onResult(listener: (state: TargetState, changed: boolean) => void): void {
    this.#resultListeners.push(listener);
  }

  stop(): void {
    this.#stopped = true;
    for (const check of this.#checks.values()) clearTimeout(check.timer);
    this.#checks.clear();
  }

  #schedule(check: Check, delayMs: number): void {
    check.timer = setTimeout(() => this.#run(check), delayMs);
    check.timer.unref();
  }

  #run(check: Check): void {
    const { state } = check;
    const spec = state.healthCheck!;
    void probe(state, spec.timeoutS * 1000).then(({ ok, detail }) => {
      if (this.#checks.get(state.id) !== check) return; // removed or replaced meanwhile
      const changed = state.checked(ok, detail, {
        healthy: spec.healthyThreshold,
        unhealthy: spec.unhealthyThreshold,
      });
      if (changed) {
        const fields = { target: state.id, address: state.target, detail };
        if (state.healthy) this.logger?.warn(fields, 'target is healthy again');
        else this.logger?.warn(fields, 'target failed its health checks: no more traffic to it');
      }
      for (const listener of this.#resultListeners) listener(state, changed);
      this.#schedule(check, spec.intervalS * 1000);
    });
  }
}

/** One health check of a target: never rejects. */
export function probe(state: TargetState, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const spec = state.healthCheck!;
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ok, detail });
    };
    const timer = setTimeout(() => {
      done(false, `no answer within ${timeoutMs} ms`);
      cleanup();
    }, timeoutMs);
    let cleanup = () => undefined as void;
    const destination = state.destination;
    if ('tunnel' in destination) {
      // Through a tunnel there is nothing to probe: the tunnel being up is what the gateway knows.
      done(true, 'reached through its tunnel');
      return;
    }
    if (spec.kind === 'tcp') {
      const socket = connect(netAddress(destination));
      cleanup = () => socket.destroy();
      socket.once('connect', () => {
        done(true, 'connected');
        socket.destroy();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => done(false, error.code ?? error.message));
      return;
    }
    const send = state.protocol === 'https' ? httpsRequest : httpRequest;
    const req = send(
      {
        ...destination,
        method: 'GET',
        path: spec.path,
        agent: false,
        headers: { 'user-agent': 'rustronaut-gateway-health-check', connection: 'close' },
        // A health check asks whether the target answers, not who it is.
        ...(state.protocol === 'https' ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        done(status >= 200 && status < 400, `HTTP ${status}`);
        req.destroy();
      },
    );
    cleanup = () => req.destroy();
    req.once('error', (error: NodeJS.ErrnoException) => done(false, error.code ?? error.message));
    req.end();
  });
}
