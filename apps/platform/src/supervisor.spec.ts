import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor } from './supervisor';

describe('Supervisor', () => {
  it('restarts a service that crashes, logs the crash, and stops everything on request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rn-supervisor-'));
    const entry = join(dir, 'flaky.js');
    // Crashes on its first run (no marker file yet), then stays up.
    writeFileSync(
      entry,
      `const fs = require('fs'); const marker = ${JSON.stringify(join(dir, 'ran'))};
       if (!fs.existsSync(marker)) { fs.writeFileSync(marker, '1'); console.log('crashing'); process.exit(3); }
       console.log('up'); setInterval(() => {}, 1000);`,
    );
    const events: string[] = [];
    const sut = new Supervisor([{ name: 'flaky', entry }], {
      started: (name) => events.push(`started ${name}`),
      crashed: (name, code) => events.push(`crashed ${name} ${code}`),
      output: (name, line) => events.push(`${name}: ${line}`),
    });
    sut.start();
    const deadline = Date.now() + 10_000;
    while (!events.includes('flaky: up') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await sut.stop(2_000);
    // Output and exit notices of one process may interleave; the order of starts and crash is fixed.
    expect(events.filter((e) => !e.startsWith('flaky:'))).toEqual([
      'started flaky',
      'crashed flaky 3',
      'started flaky',
    ]);
    expect(events).toEqual(expect.arrayContaining(['flaky: crashing', 'flaky: up']));
  });

  it('starts nothing once it is stopping: a service added during a stop is not left running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rn-supervisor-'));
    const entry = join(dir, 'late.js');
    writeFileSync(entry, 'setInterval(() => {}, 1000);');
    const started: number[] = [];
    const sut = new Supervisor([], {
      started: (_name, pid) => started.push(pid),
      crashed: () => undefined,
      output: () => undefined,
    });
    await sut.stop(1_000);
    sut.add({ name: 'late', entry }); // e.g. the local gateway, whose enrolment answered meanwhile
    expect(started).toEqual([]);
    expect(sut.pids()).toEqual({});
  });

  it('maps stack traces to the sources unless a service asks for no source maps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rn-supervisor-'));
    const entry = join(dir, 'stack.js');
    writeFileSync(entry, 'console.log(process.execArgv.join(" ")); setInterval(() => {}, 1000);');
    const lines: string[] = [];
    const sut = new Supervisor(
      [
        { name: 'mapped', entry },
        { name: 'plain', entry, sourceMaps: false },
      ],
      {
        started: () => undefined,
        crashed: () => undefined,
        output: (name, line) => lines.push(`${name}: ${line}`),
      },
    );
    sut.start();
    const deadline = Date.now() + 10_000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await sut.stop(2_000);
    expect(lines.find((l) => l.startsWith('mapped:'))).toContain('--enable-source-maps');
    expect(lines.find((l) => l.startsWith('plain:'))).not.toContain('--enable-source-maps');
  });
});
