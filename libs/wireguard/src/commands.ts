import { execFile, spawn } from 'node:child_process';

/** Runs a system command (ip, nft, wg, sysctl); resolves with its stdout, rejects with its stderr. */
export function runCommand(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (input === undefined) {
      execFile(
        command,
        [...args],
        { timeout: 10_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`${command} ${args.join(' ')}: ${(stderr || error.message).trim()}`));
          else resolve(stdout);
        },
      );
      return;
    }
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (error) => reject(new Error(`${command}: ${error.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${command} ${args.join(' ')}: ${err.trim() || `exit ${code}`}`)),
    );
    child.stdin.end(input);
  });
}
