// The `-` path (one rule read from standard input) and the --output file check.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeFsError, UsageError } from '../io/errors.js';

/** The path that means standard input, as in ESLint and Prettier. */
export const STDIN = '-';
/** How a rule read from stdin is named in reports (SARIF gets it as its artifact). */
export const STDIN_SOURCE = '<stdin>';

export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('`-` reads a rule from standard input: pipe one in (cat rule.js | rules2actions migrate -).');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `-o/--output` names the report file in every command. `migrate -o <dir>` used to mean the Actions
 * folder (now `--out`): an existing folder is refused with the new spelling instead of being misread.
 */
export async function checkOutputFile(file: string): Promise<void> {
  const stat = await fs.stat(file).catch(() => null);
  if (stat?.isDirectory() || /[\\/]$/.test(file)) {
    throw new UsageError(`${file} is a folder: -o/--output names the report file. To write the Actions into a folder, use --out ${file}.`);
  }
  const parent = path.dirname(path.resolve(file));
  const parentStat = await fs.stat(parent).catch((error) => {
    throw new UsageError(`Cannot write ${file}: ${describeFsError(error)}`);
  });
  if (!parentStat.isDirectory()) throw new UsageError(`Cannot write ${file}: ${parent} is not a folder.`);
}
