import type { Writable } from 'node:stream';
import type { CliError } from './errors';

/**
 * Where a command's results go: short, exact lines for a person, or JSON for scripts (`--json`:
 * one JSON document per result, one JSON line per event). Errors go to stderr in both modes.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: Writable,
    private readonly stderr: Writable,
  ) {}

  /** A command's result: the lines a person reads, or the data as one JSON document. */
  result(human: string | string[], data: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else this.#lines(this.stdout, human);
  }

  /** Something that happened while a command runs (`expose`): one line, or one JSON line. */
  event(human: string, data: Record<string, unknown>): void {
    if (this.json) this.stdout.write(`${JSON.stringify(data)}\n`);
    else this.stdout.write(`${human}\n`);
  }

  /** A side note for a person (progress, advice); never in JSON output. */
  note(human: string): void {
    if (!this.json) this.stderr.write(`${human}\n`);
  }

  error(error: CliError): void {
    if (this.json) {
      this.stderr.write(
        `${JSON.stringify({ error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } })}\n`,
      );
      return;
    }
    this.stderr.write(`error: ${error.message}\n`);
    if (error.hint) this.stderr.write(`  → ${error.hint}\n`);
  }

  #lines(stream: Writable, lines: string | string[]): void {
    const text = Array.isArray(lines) ? lines.join('\n') : lines;
    if (text) stream.write(`${text}\n`);
  }
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `1.2 s`, `350 ms`: how long until something happens. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
