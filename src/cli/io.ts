import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { promises as fs, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    } else if (isDynamicPattern(given)) {
      const found = await glob(given, { ignore: IGNORE, followSymbolicLinks: false });
      if (found.length === 0) throw new UsageError(`No files match ${given}`);
      files.push(...found.sort());
    } else {
      throw new UsageError(describeMissing(given));
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

/** A write that would go through a symbolic link (or outside its folder): refused, naming the link. */
export class UnsafeWriteError extends UsageError {
  readonly code = 'ELINK';
}

/**
 * Refuses a write to `file` that would leave `root` or pass through a symbolic link: every existing
 * part of the path below `root` (the file itself included) must be a real folder or file. `root`
 * itself is the user's choice and may be a link.
 */
export function assertWritable(root: string, file: string): void {
  const relative = path.relative(root, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new UnsafeWriteError(`Refusing to write ${file}: it is outside ${root}.`);
  }
  let current = root;
  for (const part of relative.split(path.sep)) {
    current = path.join(current, part);
    const stat = lstatSync(current, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isSymbolicLink()) {
      let target = '?';
      try {
        target = readlinkSync(current);
      } catch {
        // unreadable link
      }
      throw new UnsafeWriteError(
        `Refusing to write ${file}: ${current} is a symbolic link (to ${target}); writes never go through links. Replace it with a real ${current === file ? 'file' : 'folder'} or choose another folder.`,
      );
    }
  }
}

/** `.<name>.<pid>.<time>.tmp` left by a run that was killed (SIGKILL) before it could clean up. */
const TEMPORARY = /^\..+\.(\d+)\.(\d+)\.tmp$/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes our temporary files in `dir` whose process is gone (or that are a day old). */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    const old = Date.now() - Number(match[2]) > 24 * 3600 * 1000;
    if (pid === process.pid || (!old && isRunning(pid))) continue;
    const file = path.join(dir, name);
    if (lstatSync(file, { throwIfNoEntry: false })?.isFile()) {
      rmSync(file, { force: true });
      removed.push(file);
    }
  }
  return removed;
}

export interface WriteOptions {
  /** The folder every file must stay in, through no symbolic link (default: each file's own folder). */
  root?: string;
}

/**
 * Writes each file through a hidden temporary file beside it and a rename, so a reader (or a run
 * killed half-way) never sees half a file. An existing file keeps its mode. Nothing is written
 * through a symbolic link (UnsafeWriteError). Temporary files a killed run left are removed.
 *
 * Synchronous calls, one event-loop turn between files: fs.promises' thread-pool round trips cost
 * more CPU than the writes themselves, and no temporary file exists when a signal is handled.
 */
export async function writeFilesAtomic(
  files: Iterable<readonly [file: string, content: string | Buffer]>,
  options: WriteOptions = {},
): Promise<void> {
  if (writing++ === 0) for (const s of signals) process.on(s, onSignal);
  const made = new Set<string>();
  try {
    for (const [file, content] of files) {
      const dir = path.dirname(file);
      assertWritable(options.root ?? dir, file);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        removeStaleTemporaries(dir);
        made.add(dir);
      }
      const mode = existingMode(file);
      // At most 100 bytes of the name: with the pid and time the temporary name stays under 255 bytes.
      const temporary = path.join(dir, `.${Buffer.from(path.basename(file)).subarray(0, 100).toString('utf8')}.${process.pid}.${Date.now()}.tmp`);
      try {
        writeFileSync(temporary, content, { flag: 'wx', ...(mode === undefined ? {} : { mode: mode & 0o7777 }) });
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

export function writeFileAtomic(file: string, content: string | Buffer, options: WriteOptions = {}): Promise<void> {
  return writeFilesAtomic([[file, content]], options);
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

/** A path in an export that leads outside it (`../../etc/passwd`, a symbolic link to elsewhere): not read. */
export class ConfinementError extends Error {
  readonly code = 'ESCAPE';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
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
  const realRoot = realpathSync(root);
  const lexical = path.resolve(file);
  if (!isInside(path.resolve(root), lexical)) {
    throw new ConfinementError(file, `${file} is outside the export folder ${root}; not read.`);
  }
  const real = realpathSync(file);
  if (!isInside(realRoot, real)) {
    throw new ConfinementError(file, `${file} is a symbolic link (or passes through one) to ${real}, outside the export folder ${root}; not read.`);
  }
  return real;
}

/** Why a path named directly cannot be read, when stat says it does not exist: a broken link or a loop is not "missing". */
export function describeMissing(file: string): string {
  const link = lstatSync(file, { throwIfNoEntry: false });
  if (!link) return `No such file or folder: ${file}`;
  if (link.isSymbolicLink()) {
    let target = '?';
    try {
      target = readlinkSync(file);
    } catch {
      // unreadable link
    }
    try {
      statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') return `${file} is a symbolic link loop (ELOOP); nothing to read.`;
    }
    return `${file} is a broken symbolic link (to ${target}); nothing to read.`;
  }
  return `Cannot read ${file}`;
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
  // Synchronous: inputs are read before any work starts, and thousands of small files cost
  // about a tenth of the CPU they take through the thread pool.
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

// ---- Encodings ---------------------------------------------------------------------------------

/** How a text file was stored; UTF-16 (with its byte order mark) is written back as it came. */
export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be';

/** A file that is not valid text in its encoding: reported at the first bad byte, never rewritten. */
export class EncodingError extends Error {
  readonly code = 'encoding';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629), or -1. */
function invalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    const second = bytes[i + 1];
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += length;
  }
  return -1;
}

/**
 * Bytes to text without a silent change: UTF-16 needs its byte order mark; anything else must be
 * valid UTF-8 (an EncodingError names the line and column of the first bad byte); a NUL byte
 * outside UTF-16 means a binary file. The text keeps a leading BOM, as the pipeline expects.
 */
export function decodeText(file: string, bytes: Buffer): { text: string; encoding: TextEncoding } {
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf16be' : null;
  if (utf16) {
    try {
      const text = new TextDecoder(utf16 === 'utf16le' ? 'utf-16le' : 'utf-16be', { fatal: true, ignoreBOM: true }).decode(bytes);
      return { text, encoding: utf16 };
    } catch {
      throw new EncodingError(file, 1, 1, `${file}: not valid ${utf16 === 'utf16le' ? 'UTF-16LE' : 'UTF-16BE'} (odd length or an unpaired surrogate); not read.`);
    }
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputLimitError(file, 'binary-file', `Skipped ${file}: a binary file (NUL byte at offset ${nul}), not JavaScript, JSON or YAML.`);
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0) {
    const lineStart = bytes.lastIndexOf(0x0a, bad - 1) + 1;
    const line = bytes.subarray(0, bad).filter((b) => b === 0x0a).length + 1;
    const column = bytes.subarray(lineStart, bad).toString('utf8').length + 1;
    throw new EncodingError(
      file,
      line,
      column,
      `${file}:${line}:${column}: not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad}; Latin-1 or Windows-1252?). Convert the file to UTF-8; it is not read or rewritten.`,
    );
  }
  return { text: bytes.toString('utf8'), encoding: 'utf8' };
}

/** Text back to bytes in the encoding it was read from (a UTF-16 file's BOM is the text's first character). */
export function encodeText(text: string, encoding: TextEncoding = 'utf8'): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  const le = Buffer.from(text, 'utf16le');
  return encoding === 'utf16le' ? le : le.swap16();
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

/** auth0-deploy-cli keeps spaces in file names and replaces characters a file system rejects with '-'. */
export function sanitizeName(name: string): string {
  const cleaned = name.replace(/[/\\?%*:|"<>\x00-\x1f]/g, '-').replace(/^\.+/, '').trim();
  return cleaned || 'rule';
}
