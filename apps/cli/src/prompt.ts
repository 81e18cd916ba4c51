import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { CliError, CliErrorCode } from './errors';

export interface Terminal {
  stdin: Readable & { isTTY?: boolean };
  /** Questions go to stderr, so stdout stays clean for results. */
  stderr: Writable;
}

/**
 * Asks a person one question on the terminal; `hidden` does not echo what is typed (passwords).
 * Without a terminal (a script) it fails, naming the variable the script should set instead.
 */
export function ask(
  terminal: Terminal,
  question: string,
  /** `instead`: what a script gives instead of an answer (an option or a variable). */
  options: { hidden?: boolean; instead: string },
): Promise<string> {
  if (!terminal.stdin.isTTY)
    return Promise.reject(
      new CliError(
        CliErrorCode.Usage,
        `no terminal to ask "${question.replace(/:\s*$/, '')}"`,
        `scripts give ${options.instead} instead`,
      ),
    );
  const rl = createInterface({ input: terminal.stdin, output: terminal.stderr, terminal: true });
  return new Promise((resolve, reject) => {
    rl.once('SIGINT', () => {
      rl.close();
      reject(new CliError(CliErrorCode.Usage, 'cancelled'));
    });
    rl.question(question, (answer) => {
      rl.close();
      resolve(options.hidden ? answer : answer.trim());
    });
    // The question is out; readline echoes keys through _writeToOutput: echo only the final newline.
    if (options.hidden)
      (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text) => {
        if (text.includes('\n')) terminal.stderr.write('\n');
      };
  });
}
