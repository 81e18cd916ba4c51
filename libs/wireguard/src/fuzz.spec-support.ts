import { randomBytes, randomInt } from 'node:crypto';

/** How long each fuzz loop runs: bounded, so CI time is too (RN_FUZZ_MS for a longer local run). */
export const FUZZ_BUDGET_MS = Number(process.env['RN_FUZZ_MS'] ?? 1000);

const NASTY = ['\n', '\r', '=', '#', '[', ']', ',', ' ', '\0', 'é', '/', ':', '-', '9'];

/** A valid text with a few characters flipped, cut, duplicated or inserted. */
export function mutateText(text: string): string {
  switch (randomInt(5)) {
    case 0: {
      const chars = [...text];
      for (let i = 0; i < 1 + randomInt(4); i++)
        chars[randomInt(chars.length)] = NASTY[randomInt(NASTY.length)]!;
      return chars.join('');
    }
    case 1:
      return text.slice(0, randomInt(text.length));
    case 2: {
      const at = randomInt(text.length);
      return text.slice(0, at) + text.slice(at, at + randomInt(40)) + text.slice(at);
    }
    case 3: {
      const at = randomInt(text.length);
      return text.slice(0, at) + randomBytes(1 + randomInt(12)).toString('latin1') + text.slice(at);
    }
    default: {
      const lines = text.split('\n');
      lines.splice(randomInt(lines.length), 1);
      return lines.join('\n');
    }
  }
}

export function forBudget(body: () => void): number {
  const until = Date.now() + FUZZ_BUDGET_MS;
  let runs = 0;
  while (Date.now() < until) {
    body();
    runs++;
  }
  return runs;
}
