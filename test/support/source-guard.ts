// The guards that keep one analysis floor (test/one-resolver.test.ts, test/one-flow.test.ts): every
// source file of transforms/ and src/ outside src/ast/, and the lines of one that match a forbidden shape.
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '../..');

export interface Forbidden {
  what: string;
  pattern: RegExp;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return relative === 'src/ast' ? [] : sourceFiles(relative);
    return /\.(ts|mjs|js)$/.test(entry.name) ? [relative] : [];
  });
}

/** Every source file the analysis floor's guards read (src/ast/ excepted), relative to the project. */
export const guardedFiles = (): string[] => [...sourceFiles('transforms'), ...sourceFiles('src')];

export function violations(source: string, forbidden: readonly Forbidden[]): string[] {
  return source.split('\n').flatMap((line, i) =>
    forbidden.filter(({ pattern }) => pattern.test(line)).map(({ what }) => `line ${i + 1}: ${what}: ${line.trim()}`),
  );
}
