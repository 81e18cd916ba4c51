import { Questions } from './ipc';
import type { Reply } from './messages';

describe('Questions over IPC', () => {
  it('an answer after the question timed out goes to `late` (to undo what the other end did)', async () => {
    const sent: { id: number }[] = [];
    const questions = new Questions((message) => (sent.push(message as { id: number }), true));
    const late: unknown[] = [];
    const asked = questions.ask<string>({ ask: 'pick' }, 5, (value) => late.push(value));
    await expect(asked).rejects.toThrow(/no answer to pick within 5 ms/);
    questions.settle({ rn: 'reply', id: sent[0]!.id, ok: true, value: 'tgt_a' } satisfies Reply);
    expect(late).toEqual(['tgt_a']);
    // Once only.
    questions.settle({ rn: 'reply', id: sent[0]!.id, ok: true, value: 'tgt_a' } satisfies Reply);
    expect(late).toEqual(['tgt_a']);
  });
});
