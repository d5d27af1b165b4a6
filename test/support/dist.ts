// Tests that run the built code (the CLI as a child process, the fuzz worker) need dist/ to match src/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/rules2actions.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Throws a clear message instead of testing stale code (tsc rewrites every output file). */
export function assertBuilt(): void {
  const built = path.join(ROOT, 'dist/src/cli/main.js');
  const sources = Math.max(newestSource(path.join(ROOT, 'src')), newestSource(path.join(ROOT, 'transforms')));
  if (!existsSync(built) || statSync(built).mtimeMs < sources) {
    throw new Error('dist/ is missing or older than src/: run `npx tsc -p tsconfig.json` first (npm test does).');
  }
}
