// Atomic writes that never go through a symbolic link.
import { promises as fs, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describeFsError, UsageError } from './errors.js';

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
  /**
   * Folders already made and cleaned of stale temporaries, shared by several calls (a tenant's
   * Actions): listing a folder of hundreds of Actions once per Action cost more than the writes.
   */
  prepared?: Set<string>;
}

/** Keeps the stop-signal handling of writeFilesAtomic installed across many calls (installing it per call is not free). */
export async function holdingSignals<T>(fn: () => Promise<T>): Promise<T> {
  if (writing++ === 0) for (const s of signals) process.on(s, onSignal);
  try {
    return await fn();
  } finally {
    if (--writing === 0) for (const s of signals) process.off(s, onSignal);
  }
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
  files: Iterable<readonly [file: string, content: Content]>,
  options: WriteOptions = {},
): Promise<void> {
  if (writing++ === 0) for (const s of signals) process.on(s, onSignal);
  const made = options.prepared ?? new Set<string>();
  try {
    for (const [file, content] of files) {
      const dir = path.dirname(file);
      assertWritable(options.root ?? dir, file);
      if (!made.has(dir)) {
        // A folder made just now holds no temporaries to clean (mkdirSync names the first folder it made).
        if (mkdirSync(dir, { recursive: true }) === undefined) removeStaleTemporaries(dir);
        made.add(dir);
      }
      const mode = existingMode(file);
      // At most 100 bytes of the name: with the pid and time the temporary name stays under 255 bytes.
      const temporary = path.join(dir, `.${Buffer.from(path.basename(file)).subarray(0, 100).toString('utf8')}.${process.pid}.${Date.now()}.tmp`);
      try {
        writeContent(temporary, content, mode === undefined ? undefined : mode & 0o7777);
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

/** A file's content: text, bytes, or text in pieces (a large report, never joined in memory). */
export type Content = string | Buffer | Iterable<string>;

function writeContent(file: string, content: Content, mode: number | undefined): void {
  if (typeof content === 'string' || Buffer.isBuffer(content)) {
    writeFileSync(file, content, { flag: 'wx', ...(mode === undefined ? {} : { mode }) });
    return;
  }
  const fd = openSync(file, 'wx', mode);
  try {
    let pending = '';
    for (const piece of content) {
      pending += piece;
      if (pending.length >= 1 << 20) {
        writeAll(fd, pending);
        pending = '';
      }
    }
    writeAll(fd, pending);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
}

export function writeFileAtomic(file: string, content: Content, options: WriteOptions = {}): Promise<void> {
  return writeFilesAtomic([[file, content]], options);
}

function existingMode(file: string): number | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false })?.mode;
  } catch {
    return undefined;
  }
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
