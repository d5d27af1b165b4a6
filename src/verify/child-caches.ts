/**
 * What makes a verify child start faster, kept on disk by the CLI: a startup snapshot (pool.ts, `v8Flags`)
 * and the shipped packages' load cache (load-cache.ts). Both are written only here, into a folder of the
 * user's own (mode 0700) that verify children may read but not write (their only writable folder is their
 * temporary one): a rule or Action can neither write nor replace them. The snapshot is Node's own start
 * (no package and no code of ours: Node 20 cannot snapshot http, https or tls, which the runner, the
 * emulator and every SDK load); the load cache comes from a warm-up child that is sent no tenant code
 * (child.ts, `warm`). Each is rebuilt when what it was made from changed (Node, the child's flags, the
 * packages' node_modules folders — npm rewrites `.package-lock.json` on every change — or a recorded
 * file); when one cannot be built or kept, children start as before.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { ChildMessage, ParentMessage } from './child.js';
import { readLoadCacheHeader } from './load-cache.js';
import { forkSandboxed, sandboxArgs, v8Flags, type SandboxOptions } from './pool.js';

const stamp = (path: string) => {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return '-';
  }
};

/** A temporary name's part unique per process and thread: test runners build from several at once. */
const uniqueSuffix = () => `${process.pid}.${Math.random().toString(36).slice(2)}`;

/** A folder only this user can write, or null. */
function ownFolder(folder: string): string | null {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const s = lstatSync(folder);
    const mine = typeof process.getuid !== 'function' || s.uid === process.getuid();
    return s.isDirectory() && mine && (s.mode & 0o022) === 0 ? folder : null;
  } catch {
    return null;
  }
}

/**
 * A cache file's modification time is when it was last used (its freshness is decided by what it records):
 * one unused for 30 days was made for a Node or an installation that is gone, and is removed.
 */
const UNUSED_FOR_MS = 30 * 24 * 3600 * 1000;
const CACHE_NAMES = 'verify-snapshot-.+\\.blob|verify-load-.+\\.bin|typecheck-load-.+\\.bin';
const CACHE_FILE = new RegExp(`^(${CACHE_NAMES})$`);
/** A staging file left by a process that was killed mid-write (writeCacheFile, startupSnapshotFor). */
const STAGING_FILE = new RegExp(`^(${CACHE_NAMES}|verify-snapshot-entry)\\..+\\.(tmp|js)$`);

function usedNow(file: string): string {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // Still usable; it will only be pruned sooner.
  }
  return file;
}

/** Removes our cache files unused for 30 days and staging files a day old; nothing else in the folder. */
export function pruneCaches(folder: string, now: number = Date.now()): string[] {
  const own = ownFolder(folder);
  if (!own) return [];
  const removed: string[] = [];
  for (const name of readdirSync(own)) {
    const age = STAGING_FILE.test(name) ? 24 * 3600 * 1000 : CACHE_FILE.test(name) ? UNUSED_FOR_MS : null;
    if (age === null) continue;
    const file = join(own, name);
    const s = lstatSync(file, { throwIfNoEntry: false });
    if (s?.isFile() && now - s.mtimeMs > age) {
      rmSync(file, { force: true });
      removed.push(file);
    }
  }
  return removed;
}

/** Every recorded file still has its recorded size and modification time. */
function fresh(file: string): boolean {
  try {
    const { header } = readLoadCacheHeader(readHeaderBytes(file));
    return header.files.every((f) => {
      const s = statSync(f.filename);
      return s.size === f.size && s.mtimeMs === f.mtimeMs;
    });
  } catch {
    return false;
  }
}

function readHeaderBytes(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = Buffer.alloc(4);
    readSync(fd, size, 0, 4, 0);
    const blob = Buffer.alloc(4 + size.readUInt32LE(0));
    readSync(fd, blob, 0, blob.length, 0);
    return blob;
  } finally {
    closeSync(fd);
  }
}

/**
 * A startup snapshot of a bare Node built with the children's V8 flags, checked by starting from it; null
 * when it cannot be built (children then start without one).
 */
export function startupSnapshotFor(options: Pick<SandboxOptions, 'heapMb'>, folder: string): string | null {
  const own = ownFolder(folder);
  if (!own) return null;
  const flags = v8Flags(options);
  const key = createHash('sha256')
    .update(JSON.stringify([process.version, process.arch, process.execPath, stamp(process.execPath), flags]))
    .digest('hex')
    .slice(0, 16);
  const file = join(own, `verify-snapshot-${key}.blob`);
  if (stamp(file) !== '-') return usedNow(file);
  const unique = uniqueSuffix();
  const entry = join(own, `verify-snapshot-entry.${unique}.js`);
  const staging = `${file}.${unique}.tmp`;
  try {
    writeFileSync(entry, '// Node alone: its code cache is what a verify child needs (pool.ts, v8Flags).\n', { mode: 0o600 });
    const run = (args: string[]) => spawnSync(process.execPath, [...flags, ...args], { stdio: 'ignore', env: {}, timeout: 60_000 }).status === 0;
    if (!run([`--snapshot-blob=${staging}`, '--build-snapshot', entry]) || !run([`--snapshot-blob=${staging}`, '-e', '0'])) return null;
    chmodSync(staging, 0o600);
    renameSync(staging, file);
    return file;
  } catch {
    return null;
  } finally {
    rmSync(entry, { force: true });
    rmSync(staging, { force: true });
  }
}

/**
 * The load cache for children started as `createChildPool(script, …, options)` would start them, with
 * `resolveFrom` as their first place to resolve from; built now when missing or stale. Null when none.
 */
export async function loadCacheFor(script: string, options: SandboxOptions, resolveFrom: string, folder: string): Promise<string | null> {
  const own = ownFolder(folder);
  if (!own) return null;
  const flags = sandboxArgs(script, '', { ...options, readPaths: [] }).filter((a) => !a.startsWith('--allow-fs'));
  const install = createHash('sha256').update(resolveFrom).digest('hex').slice(0, 12);
  // The node_modules folders resolving from the installation can reach (not the current folder's).
  const modules = options.readPaths.filter((p) => basename(p) === 'node_modules' && resolveFrom.startsWith(dirname(p) + sep));
  const key = createHash('sha256')
    .update(JSON.stringify([process.version, process.arch, flags, script, stamp(script)]))
    .update(JSON.stringify(modules.map((p) => [p, stamp(p), stamp(join(p, '.package-lock.json'))])))
    .digest('hex')
    .slice(0, 16);
  const file = join(own, `verify-load-${install}-${key}.bin`);
  if (fresh(file)) return usedNow(file);
  const built = await warmUp(script, options, resolveFrom);
  if (!built) return null;
  try {
    writeCacheFile(file, built);
    // This installation's older caches.
    for (const name of readdirSync(own)) {
      if (name.startsWith(`verify-load-${install}-`) && name !== basename(file)) rmSync(join(own, name), { force: true });
    }
    return file;
  } catch {
    return null;
  }
}

/** Written whole or not at all: a reader never sees part of a file. */
export function writeCacheFile(file: string, data: Buffer): void {
  const staging = `${file}.${uniqueSuffix()}.tmp`;
  try {
    writeFileSync(staging, data, { mode: 0o600 });
    renameSync(staging, file);
  } finally {
    rmSync(staging, { force: true });
  }
}

/**
 * The type check's load cache (ts-morph and TypeScript, compiled during a check: 0.4-0.6 s of its CPU).
 * The type check runs on a thread of this process, which writes the cache itself; `fresh` says whether
 * to use it or to record a new one.
 */
export function typeCheckCacheFor(folder: string | false, packageRoot: string): { file: string; fresh: boolean } | null {
  const own = folder ? ownFolder(folder) : null;
  if (!own) return null;
  const key = createHash('sha256')
    .update(JSON.stringify([process.version, process.arch, process.execArgv, process.env.NODE_OPTIONS ?? '', packageRoot]))
    .digest('hex')
    .slice(0, 16);
  const file = join(own, `typecheck-load-${key}.bin`);
  return fresh(file) ? { file: usedNow(file), fresh: true } : { file, fresh: false };
}

/** Runs the warm-up child (the pairs' sandbox, no pair) and returns what it recorded, or null. */
function warmUp(script: string, options: SandboxOptions, resolveFrom: string): Promise<Buffer | null> {
  const { child, temp } = forkSandboxed(script, options, ['ignore', 'ignore', 'ignore', 'ipc']);
  return new Promise<Buffer | null>((resolve) => {
    const timer = setTimeout(() => end(null), 20_000);
    let ended = false;
    const end = (result: Buffer | null) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.kill('SIGKILL');
      rmSync(temp, { recursive: true, force: true });
      resolve(result);
    };
    const onMessage = (message: ChildMessage) => {
      if (message.kind !== 'warmed') return end(null);
      try {
        end(readFileSync(join(temp, 'load-cache.bin')));
      } catch {
        end(null);
      }
    };
    child.on('message', onMessage);
    child.once('exit', () => end(null));
    child.on('error', () => end(null));
    child.send({ kind: 'warm', resolveFrom: [resolveFrom] } satisfies ParentMessage);
  });
}
