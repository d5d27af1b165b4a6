// Reading one input file within the run's limits.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync, statSync } from 'node:fs';
import { decodeText, type TextEncoding } from './encoding.js';
import { InputLimitError } from './errors.js';
import { confinedPath } from './paths.js';

export const DEFAULT_MAX_SIZE = 1024 * 1024;

export interface ReadLimits {
  /** Bytes; larger files are skipped. */
  maxSize: number;
}

const limitsStore = new AsyncLocalStorage<ReadLimits>();

/** Runs `fn` with these read limits (the CLI's --max-size); readers below it need no extra parameter. */
export function withReadLimits<T>(limits: ReadLimits, fn: () => Promise<T>): Promise<T> {
  return limitsStore.run(limits, fn);
}

/**
 * Reads a rule or export file as UTF-8 text. Never blocks on a FIFO or a device, never loads a
 * huge file: those are skipped with an InputLimitError; I/O errors are thrown as they are. With
 * `root`, the file must resolve inside it (ConfinementError).
 */
export async function readInputText(file: string, root?: string): Promise<string> {
  return (await readInputFile(file, root)).text;
}

/** readInputText with the encoding the file was stored in. */
export async function readInputFile(file: string, root?: string): Promise<{ text: string; encoding: TextEncoding }> {
  const { maxSize } = limitsStore.getStore() ?? { maxSize: DEFAULT_MAX_SIZE };
  const real = root === undefined ? file : confinedPath(root, file);
  // Synchronous: thousands of small files cost about a tenth of the CPU they take through the
  // thread pool, and one tenant is read at a time while the workers migrate the previous one.
  const stat = statSync(real);
  if (stat.isDirectory()) throw Object.assign(new Error(`${file} is a folder`), { code: 'EISDIR' });
  if (!stat.isFile()) {
    const kind = stat.isFIFO() ? 'a named pipe (FIFO)' : stat.isSocket() ? 'a socket' : 'a device';
    throw new InputLimitError(file, 'not-a-file', `Skipped ${file}: not a regular file (${kind}).`);
  }
  if (stat.size > maxSize) {
    throw new InputLimitError(file, 'too-large', `Skipped ${file}: ${formatBytes(stat.size)} is over the size limit of ${formatBytes(maxSize)} (--max-size).`);
  }
  const bytes = readFileSync(real);
  if (bytes.length > maxSize) {
    throw new InputLimitError(file, 'too-large', `Skipped ${file}: ${formatBytes(bytes.length)} is over the size limit of ${formatBytes(maxSize)} (--max-size).`);
  }
  return decodeText(file, bytes);
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
