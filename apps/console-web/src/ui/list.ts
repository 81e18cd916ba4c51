/** Comma- or newline-separated text → trimmed, non-empty items. */
export const listOf = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
