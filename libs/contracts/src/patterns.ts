import safeRegex from 'safe-regex2';

/** The longest pattern a rule may hold; header values are matched on their first 8 KiB only. */
export const MAX_PATTERN_LENGTH = 500;

/**
 * Why a regular expression from configuration cannot be used, or undefined when it can: it must
 * compile as a JavaScript regular expression and must not backtrack catastrophically (no nested
 * quantifiers such as `(a+)+`), since it runs on every request against text a client chose.
 */
export function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'i');
  } catch (error) {
    return `is not a valid regular expression (${(error as Error).message})`;
  }
  if (!safeRegex(pattern)) return 'could backtrack catastrophically (nested quantifiers such as (a+)+)';
  return undefined;
}

/** A user-agent entry: `/…/` is a regular expression, anything else a case-insensitive substring. */
export function userAgentPatternOf(entry: string): string | undefined {
  return entry.length > 2 && entry.startsWith('/') && entry.endsWith('/') ? entry.slice(1, -1) : undefined;
}
