import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One command of the README's quickstart, as a person would type it. */
export interface QuickstartStep {
  /** The command (several lines when it continues with `\` or inside quotes), without its comment. */
  command: string;
  /** Its first line in README.md, for messages. */
  line: number;
  /** `ready when it prints "…"`: it keeps running (in the background); go on once it printed this. */
  readyWhen?: string;
  /** `# → …`: what its output contains. */
  expect?: string;
}

export const README = join(__dirname, '../../../../README.md');
const MARKER = '<!-- quickstart -->';

/**
 * The commands of the README's quickstart block (the ```bash block after `<!-- quickstart -->`),
 * with what their trailing comments promise. Comment-only and blank lines are left out.
 */
export function quickstartSteps(markdown = readFileSync(README, 'utf8')): QuickstartStep[] {
  const lines = markdown.split('\n');
  const marker = lines.indexOf(MARKER);
  if (marker < 0) throw new Error(`README.md has no ${MARKER} block`);
  const open = lines.findIndex((l, i) => i > marker && l.startsWith('```'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
  // Blank lines may stand between the marker and the block (Prettier writes one there).
  const between = lines.slice(marker + 1, open);
  if (open < 0 || close < 0 || between.some((l) => l.trim() !== ''))
    throw new Error(`${MARKER} must be followed by a fenced block`);
  const steps: QuickstartStep[] = [];
  let pending: { text: string[]; line: number } | undefined;
  for (let i = open + 1; i < close; i++) {
    const line = lines[i] ?? '';
    if (!pending && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    pending ??= { text: [], line: i + 1 };
    pending.text.push(line);
    const joined = pending.text.join('\n');
    if (scan(joined).open || line.endsWith('\\')) continue;
    steps.push(step(joined, pending.line));
    pending = undefined;
  }
  if (pending) throw new Error(`README.md line ${pending.line}: the command never ends`);
  return steps;
}

/** Quotes still open at the end of `text`, and where its trailing comment starts (outside quotes). */
function scan(text: string): { open: boolean; comment: number } {
  let single = false;
  let double = false;
  let comment = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && !single) i++;
    else if (c === "'" && !double) single = !single;
    else if (c === '"' && !single) double = !double;
    else if (c === '#' && !single && !double && /\s/.test(text[i - 1] ?? '')) {
      comment = i;
      break;
    }
  }
  return { open: single || double, comment };
}

function step(text: string, line: number): QuickstartStep {
  const { comment } = scan(text);
  const command = (comment < 0 ? text : text.slice(0, comment)).trimEnd();
  const note = comment < 0 ? '' : text.slice(comment + 1).trim();
  const ready = /ready when it prints "([^"]+)"/.exec(note)?.[1];
  const expect = /^→ (.+)$/.exec(note)?.[1];
  return {
    command: ready ? command.replace(/\s*&$/, '') : command,
    line,
    ...(ready ? { readyWhen: ready } : {}),
    ...(expect ? { expect } : {}),
  };
}
