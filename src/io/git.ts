// What git says about the files a run would write in place.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

function git(args: string[], cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => resolve(error ? null : stdout));
  });
}

/** Those of `files` that git ignores (`git check-ignore`); none outside a repository or without git. */
export async function gitIgnored(files: string[]): Promise<Set<string>> {
  const ignored = new Set<string>();
  const byDir = new Map<string, string[]>();
  for (const file of files) {
    const dir = path.dirname(path.resolve(file));
    byDir.set(dir, [...(byDir.get(dir) ?? []), file]);
  }
  for (const [dir, list] of byDir) {
    const out = await git(['check-ignore', '--', ...list.map((f) => path.resolve(f))], dir);
    const hits = new Set((out ?? '').split('\n').filter(Boolean));
    for (const file of list) if (hits.has(path.resolve(file))) ignored.add(file);
  }
  return ignored;
}

/**
 * The git repositories holding `paths` that have uncommitted changes (`git status --porcelain`).
 * A path outside any repository (or no git at all) is not checked.
 */
export async function dirtyRepositories(paths: string[]): Promise<string[]> {
  const roots = new Set<string>();
  for (const given of paths) {
    let dir = path.resolve(given);
    // A glob or a missing path: check from the nearest folder that exists.
    while (!(await fs.stat(dir).catch(() => null))?.isDirectory() && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const root = await git(['rev-parse', '--show-toplevel'], dir);
    if (root?.trim()) roots.add(root.trim());
  }
  const dirty: string[] = [];
  for (const root of [...roots].sort()) {
    const status = await git(['status', '--porcelain'], root);
    if (status?.trim()) dirty.push(root);
  }
  return dirty;
}
