// Which files a run reads: paths, folders and globs as given, and confinement to an export folder.
import { promises as fs, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { lazyModule } from '../lazy-module.js';
import { ConfinementError, describeMissing, UsageError } from './errors.js';

const IGNORE = ['**/node_modules/**', '**/.git/**'];
/** tinyglobby: only a path that does not exist can be a glob. */
export const globLibrary = lazyModule<typeof import('tinyglobby')>('tinyglobby');

/**
 * Every `*.js` below `dir` that is not a folder: files, and also symbolic links, pipes and devices,
 * so that reading them reports each one (a link is followed only when it stays inside `dir`; see
 * readInputText's root). Linked folders are not entered: a link loop cannot hang a run.
 */
function jsEntriesBelow(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory() || !entry.name.endsWith('.js')) continue;
    const full = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const relative = path.relative(dir, full);
    if (relative.split(path.sep).some((part) => part === 'node_modules' || part === '.git')) continue;
    if (entry.isSymbolicLink() && isFolder(full)) continue;
    found.push(relative);
  }
  return found.sort().map((f) => path.join(dir, f));
}

/** A folder, following links; false for anything unreadable (a broken link, a loop). */
function isFolder(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** Files, folders (every *.js below them) and globs, in a stable order. */
export async function expandPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    const stat = await fs.stat(given).catch(() => null);
    if (stat?.isFile()) files.push(given);
    else if (stat?.isDirectory()) {
      files.push(...jsEntriesBelow(given));
    } else if (stat) {
      // A pipe or a device: reading it reports it (not-a-file) without blocking.
      files.push(given);
    } else if (globLibrary().isDynamicPattern(given)) {
      const found = await globLibrary().glob(given, { ignore: IGNORE, followSymbolicLinks: false });
      if (found.length === 0) throw new UsageError(`No files match ${given}`);
      files.push(...found.sort());
    } else {
      throw new UsageError(describeMissing(given));
    }
  }
  return [...new Set(files)];
}

const isInside = (root: string, target: string) => {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/**
 * The real path of `file` when it stays inside `root` once every symbolic link is resolved; a
 * ConfinementError otherwise (the target is named, never read).
 */
export function confinedPath(root: string, file: string): string {
  const realRoot = realpathSync.native(root);
  const lexical = path.resolve(file);
  if (!isInside(path.resolve(root), lexical)) {
    throw new ConfinementError(file, `${file} is outside the export folder ${root}; not read.`);
  }
  const real = realpathSync.native(file);
  if (!isInside(realRoot, real)) {
    throw new ConfinementError(file, `${file} is a symbolic link (or passes through one) to ${real}, outside the export folder ${root}; not read.`);
  }
  return real;
}

/** auth0-deploy-cli keeps spaces in file names and replaces characters a file system rejects with '-'. */
export function sanitizeName(name: string): string {
  const cleaned = name.replace(/[/\\?%*:|"<>\x00-\x1f]/g, '-').replace(/^\.+/, '').trim();
  return cleaned || 'rule';
}
