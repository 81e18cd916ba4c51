import type { Serializable } from 'node:child_process';
import type { Ask, Reply } from './messages';

/**
 * Questions over an IPC channel and their answers: `ask` sends `{ rn: 'ask', id, … }` and resolves
 * with the `reply` of the same id, or rejects after `timeoutMs` or when the channel closes. An
 * answer that arrives after the question timed out goes to `late`, if given (e.g. to undo what the
 * other end did for it).
 */
export class Questions {
  #next = 1;
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  readonly #late = new Map<number, (value: unknown) => void>();

  constructor(private readonly send: (message: unknown) => boolean) {}

  ask<T>(
    question: Omit<Ask<string>, 'rn' | 'id'> & Record<string, unknown>,
    timeoutMs: number,
    late?: (value: T) => void,
  ): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        if (late) this.#late.set(id, late as (value: unknown) => void);
        reject(new Error(`no answer to ${String(question.ask)} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      if (!this.send({ ...question, rn: 'ask', id })) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new Error('the IPC channel is closed'));
      }
    });
  }

  settle(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) {
      const late = this.#late.get(reply.id);
      this.#late.delete(reply.id);
      if (late && reply.ok) late(reply.value);
      return;
    }
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(new Error(reply.error ?? 'refused'));
  }

  /** The other end is gone: every question still open fails. */
  failAll(reason: string): void {
    this.#late.clear();
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(reason));
      this.#pending.delete(id);
    }
  }
}

/** Answers one question with `answer`'s value (or its error), on the channel it came from. */
export function reply(send: (message: unknown) => boolean, id: number, answer: () => unknown): void {
  Promise.resolve()
    .then(answer)
    .then(
      (value) => send({ rn: 'reply', id, ok: true, value } satisfies Reply),
      (error: unknown) =>
        send({
          rn: 'reply',
          id,
          ok: false,
          error: (error as Error).message ?? String(error),
        } satisfies Reply),
    );
}

/** `process.send` / `worker.send` that reports a closed channel as false instead of throwing. */
export function sender(
  send: ((message: Serializable) => boolean) | undefined,
  connected: () => boolean,
): (message: unknown) => boolean {
  return (message) => {
    if (!send || !connected()) return false;
    try {
      send(message as Serializable);
      return true;
    } catch {
      return false;
    }
  };
}
