import { promises as fs } from 'node:fs';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { RuleInput } from '../run.js';

/** A problem with an input the run can go on without (the rule is reported as failed). */
export interface InputProblem {
  source: string;
  message: string;
  line?: number;
  column?: number;
}

/** A problem that stops the run before anything is migrated (exit 2). */
export class UsageError extends Error {}

export interface Inputs {
  rules: RuleInput[];
  problems: InputProblem[];
}

const IGNORE = ['**/node_modules/**', '**/.git/**'];

/** Files, folders (every *.js below them) and globs, in a stable order. */
export async function expandPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    const stat = await fs.stat(given).catch(() => null);
    if (stat?.isFile()) files.push(given);
    else if (stat?.isDirectory()) {
      const found = await glob('**/*.js', { cwd: given, ignore: IGNORE, followSymbolicLinks: false });
      files.push(...found.sort().map((f) => path.join(given, f)));
    } else if (isDynamicPattern(given)) {
      const found = await glob(given, { ignore: IGNORE, followSymbolicLinks: false });
      if (found.length === 0) throw new UsageError(`No files match ${given}`);
      files.push(...found.sort());
    } else {
      throw new UsageError(`No such file or folder: ${given}`);
    }
  }
  return [...new Set(files)];
}

export async function readRuleFiles(paths: string[]): Promise<Inputs> {
  const rules: RuleInput[] = [];
  const problems: InputProblem[] = [];
  for (const file of await expandPaths(paths)) {
    try {
      rules.push({ source: file, name: path.basename(file, path.extname(file)), script: await fs.readFile(file, 'utf8') });
    } catch (error) {
      problems.push({ source: file, message: `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    }
  }
  return { rules, problems };
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(temporary, content);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

/** auth0-deploy-cli keeps spaces in file names and replaces characters a file system rejects with '-'. */
export function sanitizeName(name: string): string {
  const cleaned = name.replace(/[/\\?%*:|"<>\x00-\x1f]/g, '-').replace(/^\.+/, '').trim();
  return cleaned || 'rule';
}
