import { runCli } from './program';

/** The first Ctrl-C (or SIGTERM) is the command's to handle (expose un-exposes); a second one quits. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      resolve();
      process.once('SIGINT', () => process.exit(130));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

let interruption: Promise<void> | undefined;
runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  interrupted: () => (interruption ??= interrupted()),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`rustronaut: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
