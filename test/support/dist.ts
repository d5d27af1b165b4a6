// Tests that run the built code (the CLI as a child process, the fuzz worker) need dist/ to match
// src/. `npm test` builds first; a bare `vitest run` gets a build here, once, before any test file.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/rules2actions.js');
const BUILT = path.join(ROOT, 'dist/src/cli/main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

export function isBuilt(): boolean {
  const sources = Math.max(newestSource(path.join(ROOT, 'src')), newestSource(path.join(ROOT, 'transforms')));
  return existsSync(BUILT) && statSync(BUILT).mtimeMs >= sources;
}

/** vitest globalSetup: tsc emits even with type errors; those are `npm run typecheck`'s business. */
export default function setup(): void {
  if (isBuilt()) return;
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    // type errors: the output is written all the same
  }
  if (!existsSync(BUILT)) throw new Error('Could not build dist/: run `npx tsc -p tsconfig.json` and read its errors.');
}
