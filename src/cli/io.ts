import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { promises as fs, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { SdkMajor } from '../types.js';

/** A problem with an input the run can go on without (the rule is reported as failed). */
export interface InputProblem {
  source: string;
  message: string;
  line?: number;
  column?: number;
  /** Finding code when the file was skipped on purpose (InputLimitError); default 'read-error'. */
  code?: string;
}

/** A problem that stops the run before anything is migrated (exit 2). */
export class UsageError extends Error {}

/** `--sdk 7|4`, as migrate and audit take it. */
export function parseSdk(value: string): SdkMajor {
  if (value !== '7' && value !== '4') throw new InvalidArgumentError('use 7 or 4');
  return Number(value) as SdkMajor;
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

const signals = ['SIGINT', 'SIGTERM'] as const;
let writing = 0;

/** A stop signal during writes is handled between two files (see writeFilesAtomic), then ends the run as usual. */
function onSignal(signal: NodeJS.Signals): void {
  for (const s of signals) process.off(s, onSignal);
  // Die of the same signal, as the default handler would have.
  process.kill(process.pid, signal);
}

/**
 * Writes each file through a hidden temporary file beside it and a rename, so a reader (or a run
 * killed half-way) never sees half a file. An existing file keeps its mode.
 *
 * Synchronous calls, one event-loop turn between files: fs.promises' thread-pool round trips cost
 * more CPU than the writes themselves, and no temporary file exists when a signal is handled.
 */
export async function writeFilesAtomic(files: Iterable<readonly [file: string, content: string]>): Promise<void> {
  if (writing++ === 0) for (const s of signals) process.on(s, onSignal);
  const made = new Set<string>();
  try {
    for (const [file, content] of files) {
      const dir = path.dirname(file);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      const mode = existingMode(file);
      const temporary = path.join(dir, `.${path.basename(file).slice(0, 100)}.${process.pid}.${Date.now()}.tmp`);
      try {
        writeFileSync(temporary, content, mode === undefined ? {} : { mode: mode & 0o7777 });
        renameSync(temporary, file);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw error;
      }
      await new Promise(setImmediate);
    }
  } finally {
    if (--writing === 0) for (const s of signals) process.off(s, onSignal);
  }
}

export function writeFileAtomic(file: string, content: string): Promise<void> {
  return writeFilesAtomic([[file, content]]);
}

function existingMode(file: string): number | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false })?.mode;
  } catch {
    return undefined;
  }
}

/** What a file-system error code means, for messages. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const meaning: Record<string, string> = {
    ENOENT: 'no such file or folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file is in the way',
    EISDIR: 'it is a folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    ENAMETOOLONG: 'the name is too long',
    ELOOP: 'too many symbolic links (a loop?)',
  };
  if (code) return meaning[code] ? `${meaning[code]} (${code})` : code;
  return error instanceof Error ? error.message : String(error);
}

/** Fails early, before any rule is migrated, when `dir` cannot hold the output. */
export async function ensureWritableFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, fs.constants.W_OK);
  } catch (error) {
    throw new UsageError(`Cannot write to ${dir}: ${describeFsError(error)}. Choose another --out folder.`);
  }
}

// ---- Input limits ---------------------------------------------------------------------------

export const DEFAULT_MAX_SIZE = 1024 * 1024;

export interface ReadLimits {
  /** Bytes; larger files are skipped. */
  maxSize: number;
}

/** A file skipped on purpose (too large, binary, not a regular file): reported, the run goes on. */
export class InputLimitError extends Error {
  constructor(
    readonly file: string,
    readonly code: 'too-large' | 'binary-file' | 'not-a-file',
    message: string,
  ) {
    super(message);
  }
}

const limitsStore = new AsyncLocalStorage<ReadLimits>();

/** Runs `fn` with these read limits (the CLI's --max-size); readers below it need no extra parameter. */
export function withReadLimits<T>(limits: ReadLimits, fn: () => Promise<T>): Promise<T> {
  return limitsStore.run(limits, fn);
}

/**
 * Reads a rule or export file as UTF-8 text. Never blocks on a FIFO or a device, never loads a
 * huge file: those are skipped with an InputLimitError; I/O errors are thrown as they are.
 */
export async function readInputText(file: string): Promise<string> {
  const { maxSize } = limitsStore.getStore() ?? { maxSize: DEFAULT_MAX_SIZE };
  // Synchronous: inputs are read before any work starts, and thousands of small files cost
  // about a tenth of the CPU they take through the thread pool.
  const stat = statSync(file);
  if (stat.isDirectory()) throw Object.assign(new Error(`${file} is a folder`), { code: 'EISDIR' });
  if (!stat.isFile()) throw new InputLimitError(file, 'not-a-file', `Skipped ${file}: not a regular file (a pipe, socket or device).`);
  if (stat.size > maxSize) {
    throw new InputLimitError(file, 'too-large', `Skipped ${file}: ${formatBytes(stat.size)} is over the size limit of ${formatBytes(maxSize)} (--max-size).`);
  }
  const bytes = readFileSync(file);
  if (bytes.length > maxSize) {
    throw new InputLimitError(file, 'too-large', `Skipped ${file}: ${formatBytes(bytes.length)} is over the size limit of ${formatBytes(maxSize)} (--max-size).`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputLimitError(file, 'binary-file', `Skipped ${file}: a binary file (NUL byte at offset ${nul}), not JavaScript, JSON or YAML.`);
  return bytes.toString('utf8');
}

/** `--max-size` values: bytes, or with a k/kb/m/mb suffix (1024-based). */
export function parseSize(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(k|kb|m|mb)?\s*$/i.exec(value);
  if (!match) throw new UsageError(`--max-size: '${value}' is not a size; use bytes or a number with k or m (e.g. 512k, 2m).`);
  const unit = match[2]?.toLowerCase().startsWith('m') ? 1024 * 1024 : match[2] ? 1024 : 1;
  return Math.floor(Number(match[1]) * unit);
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

// ---- In-place writes --------------------------------------------------------------------------

function git(args: string[], cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => resolve(error ? null : stdout));
  });
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

/** auth0-deploy-cli keeps spaces in file names and replaces characters a file system rejects with '-'. */
export function sanitizeName(name: string): string {
  const cleaned = name.replace(/[/\\?%*:|"<>\x00-\x1f]/g, '-').replace(/^\.+/, '').trim();
  return cleaned || 'rule';
}
