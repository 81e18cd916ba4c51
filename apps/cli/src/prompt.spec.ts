import { PassThrough } from 'node:stream';
import { ask } from './prompt';

describe('asking on the terminal', () => {
  const terminal = () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    const stderr = new PassThrough();
    let shown = '';
    stderr.on('data', (c: Buffer) => (shown += c.toString()));
    return { stdin, stderr, shown: () => shown };
  };

  it('does not echo a password, and keeps it as typed', async () => {
    const t = terminal();
    const answer = ask(t, 'Password: ', { hidden: true, instead: 'RN_PASSWORD' });
    t.stdin.write(' s3cret \r');
    await expect(answer).resolves.toBe(' s3cret ');
    expect(t.shown()).toContain('Password: ');
    expect(t.shown()).not.toContain('s3cret');
  });

  it('echoes a visible answer and trims it', async () => {
    const t = terminal();
    const answer = ask(t, 'Email: ', { instead: '--email' });
    t.stdin.write('ada@example.com \r');
    await expect(answer).resolves.toBe('ada@example.com');
    expect(t.shown()).toContain('ada@example.com');
  });

  it('without a terminal, names what a script should set instead', async () => {
    await expect(
      ask({ stdin: new PassThrough(), stderr: new PassThrough() }, 'Password: ', { instead: 'RN_PASSWORD' }),
    ).rejects.toMatchObject({
      message: 'no terminal to ask "Password"',
      hint: 'scripts give RN_PASSWORD instead',
      exitCode: 2,
    });
  });
});
