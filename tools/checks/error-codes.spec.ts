import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every `export enum …ErrorCode { Name = 'CODE' }` in apps/ and libs/, with its codes. */
function errorCodeEnums(): Map<string, string[]> {
  const enums = new Map<string, string[]>();
  for (const file of ['apps', 'libs'].flatMap((d) => sourceFiles(join(root, d)))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/export enum (\w+ErrorCode) \{([^}]*)\}/g)) {
      const codes = [...match[2]!.matchAll(/=\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]!);
      enums.set(`${match[1]} (${relative(root, file)})`, codes);
    }
  }
  return enums;
}

describe('docs/errors.md', () => {
  const documented = new Set(
    [...readFileSync(join(root, 'docs/errors.md'), 'utf8').matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|/gm)].map(
      (m) => m[1]!,
    ),
  );
  const enums = errorCodeEnums();

  it('finds the error-code enums of the source', () => {
    expect(enums.size).toBeGreaterThanOrEqual(2);
  });

  it('lists every error code the source defines', () => {
    const missing = [...enums].flatMap(([name, codes]) =>
      codes.filter((c) => !documented.has(c)).map((c) => `${c} from ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('lists no code the source no longer has', () => {
    const defined = new Set([...enums.values()].flat());
    expect([...documented].filter((c) => !defined.has(c))).toEqual([]);
  });
});
