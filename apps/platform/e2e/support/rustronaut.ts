import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The command as a person installs it: the bin script, which runs the build output (dist/apps/cli). */
const RUSTRONAUT = join(__dirname, '../../../cli/bin/rustronaut.js');

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** The environment of a person whose home is `home` (credentials under home/config). */
export function personEnv(home: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), ...env };
}

/** Runs `rustronaut …` to completion, as a script would. */
export function rustronaut(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [RUSTRONAUT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** A `rustronaut` that keeps running (`expose`): its output as it comes, Ctrl-C, its exit. */
export class RunningRustronaut {
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [RUSTRONAUT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (c: Buffer) => (this.out += c.toString()));
    this.child.stderr?.on('data', (c: Buffer) => (this.err += c.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Stdout's complete lines so far. */
  get lines(): string[] {
    return this.out.split('\n').slice(0, -1);
  }

  /** Waits for a line of stdout that matches, and answers it. */
  async line(match: (line: string) => boolean, what: string, timeoutMs = 40_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(
          `no line for ${what} (exit ${this.child.exitCode}); stdout:\n${this.out}\nstderr:\n${this.err}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ctrl-C, as a person presses it. */
  interrupt(): void {
    this.child.kill('SIGINT');
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * `rustronaut` on a terminal, as a person types into it: run under util-linux `script`, which gives
 * it a pseudo-terminal (so it prompts, and hides what is typed for a password).
 */
export class TerminalRustronaut {
  screen = '';
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    const command = [process.execPath, RUSTRONAUT, ...args]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    this.#child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout?.on('data', (c: Buffer) => (this.screen += c.toString()));
    this.exited = new Promise((resolve) => this.#child.on('close', (code) => resolve(code)));
  }

  /** Waits for `prompt` on the screen, then types `text` and Enter. */
  async answer(prompt: string, text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.screen.includes(prompt)) {
      if (Date.now() > deadline || this.#child.exitCode !== null)
        throw new Error(`no "${prompt}" on the terminal; it shows:\n${this.screen}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    this.#child.stdin?.write(`${text}\r`);
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}
