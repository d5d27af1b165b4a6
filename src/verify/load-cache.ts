/**
 * Loading the shipped packages (request, auth0 v2/v4/v7, lodash, async, jsonwebtoken) in a verify child
 * without resolving and compiling their files again: about two thirds of each child's loading was Node
 * looking for files (stat, package.json scopes, `exports`) and V8 compiling them (pool.ts).
 *
 * A warm-up child that runs no tenant code (child-caches.ts) loads them with `recordLoads` and hands
 * back a blob: where each `require` from each folder led, and V8's code cache of each file, taken after
 * the files ran so it holds the functions compiled during loading too. Each verify child installs it with
 * `useLoadCache` before it loads anything: a recorded resolution is answered from the table, a recorded
 * file is compiled from its cached code (V8 compiles it afresh when the cache does not fit). Every child
 * still runs every file itself: only finding and compiling them is skipped.
 */
import { readFileSync, statSync } from 'node:fs';
import Module, { isBuiltin } from 'node:module';
import { dirname, isAbsolute } from 'node:path';
import vm from 'node:vm';

interface LoadedModule {
  id: string;
  filename: string;
  path: string;
  exports: unknown;
  require(id: string): unknown;
}

type ModuleStatics = {
  _resolveFilename(request: string, parent: LoadedModule | undefined, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: LoadedModule): string[] | null;
  _extensions: Record<string, (module: LoadedModule, filename: string) => void>;
  _cache: Record<string, LoadedModule>;
  wrap(source: string): string;
};
const M = Module as unknown as ModuleStatics;

/** The blob's header: resolutions by `<parent folder>\0<request>`, and each file's code cache slice. */
export interface LoadCacheHeader {
  resolutions: Array<[string, string]>;
  /** Size and modification time as recorded: the parent rebuilds the cache when a file differs. */
  files: Array<{ filename: string; size: number; mtimeMs: number; offset: number; length: number }>;
}

const key = (parent: LoadedModule | undefined, request: string) => `${parent?.path ?? ''}\0${request}`;

/** Node's own `require` for a module (lib/internal/modules/helpers.js, makeRequireFunction). */
function requireFor(module: LoadedModule): NodeJS.Require {
  const require = ((id: string) => module.require(id)) as NodeJS.Require;
  require.resolve = ((request: string, options?: unknown) => M._resolveFilename(request, module, false, options)) as NodeJS.RequireResolve;
  require.resolve.paths = (request: string) => M._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = M._extensions as unknown as NodeJS.Require['extensions'];
  require.cache = M._cache as NodeJS.Require['cache'];
  return require;
}

/** Compiles and runs a CommonJS file as Node's loader does, through a vm.Script so its code can be cached. */
function run(module: LoadedModule, filename: string, content: string, cachedData?: Buffer): vm.Script {
  const script = new vm.Script(M.wrap(content), {
    filename,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  wrapper.call(module.exports, module.exports, requireFor(module), module, filename, dirname(filename));
  return script;
}

/**
 * Records what the packages loaded from now on resolve to and compile; call the returned function once
 * they are loaded. Only files Node compiled as CommonJS are recorded.
 */
export function recordLoads(): () => Buffer {
  const resolutions = new Map<string, string>();
  const scripts = new Map<string, vm.Script>();
  const resolve = M._resolveFilename;
  M._resolveFilename = function (request, parent, isMain, options) {
    const filename = resolve.call(this, request, parent, isMain, options);
    if (options === undefined && !isMain && !isBuiltin(request) && isAbsolute(filename)) resolutions.set(key(parent, request), filename);
    return filename;
  };
  const compile = (Module.prototype as unknown as { _compile(content: string, filename: string, format?: string): unknown })._compile;
  Object.defineProperty(Module.prototype, '_compile', {
    configurable: true,
    writable: true,
    value(this: LoadedModule, content: string, filename: string, format?: string) {
      // Node has decided the format by now: only plain CommonJS .js files are taken over.
      // (A hashbang or a byte order mark would not survive the wrapper: those keep Node's path.)
      if (format === 'module' || !filename.endsWith('.js') || /^(#!|\uFEFF)/.test(content)) return compile.call(this, content, filename, format);
      scripts.set(filename, run(this, filename, content));
      return undefined;
    },
  });
  return () => {
    M._resolveFilename = resolve;
    (Module.prototype as unknown as { _compile: unknown })._compile = compile;
    const caches: Buffer[] = [];
    const files: LoadCacheHeader['files'] = [];
    let offset = 0;
    for (const [filename, script] of scripts) {
      const data = script.createCachedData();
      const { size, mtimeMs } = statSync(filename);
      files.push({ filename, size, mtimeMs, offset, length: data.length });
      caches.push(data);
      offset += data.length;
    }
    // Only resolutions that led to a recorded file: anything else (JSON, .node, ESM) takes Node's path.
    const header: LoadCacheHeader = { resolutions: [...resolutions].filter(([, filename]) => scripts.has(filename)), files };
    const json = Buffer.from(JSON.stringify(header));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(json.length);
    return Buffer.concat([size, json, ...caches]);
  };
}

/** The header of a blob made by `recordLoads`. */
export function readLoadCacheHeader(blob: Buffer): { header: LoadCacheHeader; caches: Buffer } {
  const size = blob.readUInt32LE(0);
  return { header: JSON.parse(blob.subarray(4, 4 + size).toString('utf8')) as LoadCacheHeader, caches: blob.subarray(4 + size) };
}

/** Installs a blob made by `recordLoads`; returns false (and changes nothing) when it cannot be read. */
export function useLoadCache(file: string): boolean {
  let read: ReturnType<typeof readLoadCacheHeader>;
  try {
    read = readLoadCacheHeader(readFileSync(file));
  } catch {
    return false;
  }
  const { header, caches: blob } = read;
  const resolutions = new Map(header.resolutions);
  const caches = new Map(header.files.map((f) => [f.filename, blob.subarray(f.offset, f.offset + f.length)]));
  const resolve = M._resolveFilename;
  M._resolveFilename = function (request, parent, isMain, options) {
    if (options === undefined && !isMain) {
      const filename = resolutions.get(key(parent, request));
      if (filename !== undefined) return filename;
    }
    return resolve.call(this, request, parent, isMain, options);
  };
  // A recorded file was CommonJS when recorded: its package scope need not be read again.
  const js = M._extensions['.js'];
  M._extensions['.js'] = function (module, filename) {
    const cachedData = caches.get(filename);
    if (cachedData === undefined) return js.call(this, module, filename);
    run(module, filename, readFileSync(filename, 'utf8'), cachedData);
  };
  return true;
}
